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
 * A block to PUT: its metadata (the namespace id in it is ignored by the server, which uses the session's),
 * payload and, optionally, its token ids. The payload buffer is read (position to limit) when the request is
 * written; do not change it until the put's future completes. Token ids are sent only to a server that publishes
 * KV events (its HELLO says so), which announces them with the block ({@code BlockStored.token_ids}).
 *
 * @param tokenIds the block's tokens (a namespace's tokens per block of them), or null
 */
public record BlockPayload(BlockMeta meta, ByteBuffer payload, int[] tokenIds) {

    /** A block without token ids. */
    public BlockPayload(BlockMeta meta, ByteBuffer payload) {
        this(meta, payload, null);
    }

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
            int per = ns.layout().tokensPerBlock();
            out.add(new BlockPayload(new BlockMeta(keys.get(i), parent, i, id, layout, p.remaining(),
                    Checksums.crc32c(p)), p, java.util.Arrays.copyOfRange(tokens, i * per, (i + 1) * per)));
            parent = keys.get(i);
        }
        return out;
    }
}
