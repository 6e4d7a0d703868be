package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;

/**
 * The outcome of a get: a hit carries an open handle the caller must close, and the tier it was read from.
 *
 * @param handle the payload, or {@code null} on a miss
 * @param tier   the tier the block was read from, or {@code null} on a miss
 */
public record GetResult(BlockHandle handle, String tier) {

    static final GetResult MISS = new GetResult(null, null);

    /**
     * The answer of {@link TieredStore#getIf} when the block's copy is in a level the caller may not read from
     * (not a miss: read it with {@link TieredStore#get} where I/O may wait). Compared by identity.
     */
    public static final GetResult ELSEWHERE = new GetResult(null, "");

    /** True if this is {@link #ELSEWHERE}: nothing was read, and the block may well be cached. */
    public boolean elsewhere() {
        return this == ELSEWHERE;
    }

    public boolean isHit() {
        return handle != null;
    }
}
