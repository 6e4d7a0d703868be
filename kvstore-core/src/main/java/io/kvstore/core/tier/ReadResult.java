package io.kvstore.core.tier;

import io.kvstore.core.block.BlockHandle;

import java.util.Objects;

/**
 * What a {@link Tier#read} found: a {@link Outcome#HIT} with a handle the caller must close, a
 * {@link Outcome#MISS}, or {@link Outcome#CORRUPT} (the block failed its checksum, was removed and counted).
 */
public record ReadResult(Outcome outcome, BlockHandle handle) {

    /** The three possible answers. */
    public enum Outcome { HIT, MISS, CORRUPT }

    private static final ReadResult MISS = new ReadResult(Outcome.MISS, null);
    private static final ReadResult CORRUPT = new ReadResult(Outcome.CORRUPT, null);

    public ReadResult {
        Objects.requireNonNull(outcome, "outcome");
        if ((outcome == Outcome.HIT) != (handle != null)) {
            throw new IllegalArgumentException("a HIT carries a handle, nothing else does");
        }
    }

    public static ReadResult hit(BlockHandle handle) {
        return new ReadResult(Outcome.HIT, Objects.requireNonNull(handle, "handle"));
    }

    public static ReadResult miss() {
        return MISS;
    }

    public static ReadResult corrupt() {
        return CORRUPT;
    }

    public boolean isHit() {
        return outcome == Outcome.HIT;
    }
}
