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
 * <p>The CRC32C in {@code meta} travels with the block over a socket, and the server verifies it. A block from
 * {@link #chain} has its CRC32C computed only when it is needed ({@code checksumPending}, {@link #checksummed()}):
 * when it is sent over a socket, not when shared memory carries it (the server then computes the checksum from the
 * bytes in place, which it reads anyway) nor when the server already holds it ({@code putMissing}).
 *
 * @param tokenIds        the block's tokens (a namespace's tokens per block of them), or null
 * @param checksumPending true if {@code meta}'s CRC32C is not computed yet (0 until {@link #checksummed()})
 */
public record BlockPayload(BlockMeta meta, ByteBuffer payload, int[] tokenIds, boolean checksumPending) {

    /** A block without token ids, its CRC32C in {@code meta}. */
    public BlockPayload(BlockMeta meta, ByteBuffer payload) {
        this(meta, payload, null, false);
    }

    /** A block whose CRC32C is in {@code meta}. */
    public BlockPayload(BlockMeta meta, ByteBuffer payload, int[] tokenIds) {
        this(meta, payload, tokenIds, false);
    }

    /** This block with its CRC32C in {@code meta}: itself, or a copy with the checksum computed now. */
    public BlockPayload checksummed() {
        if (!checksumPending) {
            return this;
        }
        return new BlockPayload(meta.withCrc32c(Checksums.crc32c(payload)), payload, tokenIds, false);
    }

    /**
     * The blocks of a token sequence: keys from the namespace's {@link PrefixHasher}, parents chained from the
     * namespace root, one payload per full block (extra payloads are an error); checksums computed when needed.
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
        int per = ns.layout().tokensPerBlock();
        for (int i = 0; i < payloads.size(); i++) {
            ByteBuffer p = payloads.get(i);
            out.add(new BlockPayload(new BlockMeta(keys.get(i), parent, i, id, layout, p.remaining(), 0), p,
                    java.util.Arrays.copyOfRange(tokens, i * per, (i + 1) * per), true));
            parent = keys.get(i);
        }
        return out;
    }
}
