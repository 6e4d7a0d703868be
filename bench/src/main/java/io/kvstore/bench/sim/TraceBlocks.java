package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;

/**
 * The store's view of a trace's blocks, made once per block and reused across accesses so that a replay
 * allocates no key or metadata per operation: a synthetic key per trace block id, and metadata whose parent is
 * the previous block of the access's request (or a fixed root for the first block). Sizes are 1: capacities are
 * counted in blocks. Not thread-safe; one per replay.
 */
final class TraceBlocks {

    /** The namespace every replayed block belongs to. */
    static final long NS = 1;

    private static final BlockKey ROOT = BlockKey.synthetic(0, -1);

    private final Trace trace;
    private final BlockMeta[] metas;
    private final BlockKey[] keys;

    TraceBlocks(Trace trace) {
        this.trace = trace;
        this.metas = new BlockMeta[trace.uniqueBlocks()];
        this.keys = new BlockKey[trace.uniqueBlocks()];
    }

    /** The key of trace block id {@code block}. */
    BlockKey key(int block) {
        BlockKey k = keys[block];
        if (k == null) {
            k = BlockKey.synthetic(1, block);
            keys[block] = k;
        }
        return k;
    }

    /** The metadata of the block at access index {@code access}, at {@code position} in its request. */
    BlockMeta meta(int access, int position) {
        int block = trace.block(access);
        BlockMeta m = metas[block];
        if (m == null) {
            BlockKey parent = position == 0 ? ROOT : key(trace.block(access - 1));
            m = new BlockMeta(key(block), parent, position, NS, 0, 1, 0);
            metas[block] = m;
        }
        return m;
    }
}
