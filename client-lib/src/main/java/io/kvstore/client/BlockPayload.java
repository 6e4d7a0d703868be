package io.kvstore.client;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.Namespace;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A block to PUT: its metadata (the namespace id in it is ignored by the server, which uses the session's) and
 * payload. The payload buffer is read (position to limit) when the request is written; do not change it until
 * the put's future completes.
 */
public record BlockPayload(BlockMeta meta, ByteBuffer payload) {

    /**
     * The blocks of a token sequence: keys from the namespace's {@link PrefixHasher}, parents chained from the
     * namespace root, one payload per full block (extra payloads are an error).
     */
    public static List<BlockPayload> chain(Namespace ns, int[] tokens, List<ByteBuffer> payloads) {
        List<BlockKey> keys = new PrefixHasher(ns).hash(tokens);
        if (payloads.size() > keys.size()) {
            throw new IllegalArgumentException(payloads.size() + " payloads for " + keys.size() + " full blocks");
        }
        List<BlockPayload> out = new ArrayList<>(payloads.size());
        BlockKey parent = ns.root();
        int layout = ns.layoutId();
        long id = ns.id();
        for (int i = 0; i < payloads.size(); i++) {
            ByteBuffer p = payloads.get(i);
            out.add(new BlockPayload(new BlockMeta(keys.get(i), parent, i, id, layout, p.remaining(),
                    Checksums.crc32c(p)), p));
            parent = keys.get(i);
        }
        return out;
    }
}
