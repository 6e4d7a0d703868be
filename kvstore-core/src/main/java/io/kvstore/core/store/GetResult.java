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

    public boolean isHit() {
        return handle != null;
    }
}
