package io.kvstore.core.tier;

import io.kvstore.core.block.BlockMeta;

import java.nio.ByteBuffer;

/**
 * Memory a tier set aside for one block, written in place by the caller and then committed or aborted (see
 * {@link Tier#reserve}). Until {@link #commit} the block does not exist for the tier: {@link Tier#read},
 * {@link Tier#meta}, {@link Tier#forEach} and {@link Tier#usedBytes} do not see it, although its memory is taken.
 *
 * <p>Ownership: one thread at a time (the caller hands it over with a happens-before edge, e.g. through an
 * executor). {@link #abort} is idempotent and does nothing after a successful commit; a reservation that is neither
 * committed nor aborted keeps its memory (callers abort on every path that does not commit).
 *
 * <p>Lifecycle: the memory stays valid until the reservation is committed or aborted, even if the tier is closed
 * meanwhile (then commit throws {@link TierClosedException} and the caller aborts).
 */
public interface TierReservation {

    /** What {@link Tier#reserve} did: {@code outcome} STORED with a reservation, or why there is none. */
    record Attempt(PutOutcome outcome, TierReservation reservation) {

        /** An attempt that gave no memory; {@code outcome} is not STORED. */
        public static Attempt refused(PutOutcome outcome) {
            if (outcome == PutOutcome.STORED) {
                throw new IllegalArgumentException("a refusal cannot be STORED");
            }
            return new Attempt(outcome, null);
        }
    }

    /**
     * The reserved memory: writable, position 0, limit and capacity exactly the block's length. The same
     * buffer on every call (callers take slices or duplicates of it).
     */
    ByteBuffer buffer();

    /**
     * Publishes the block under {@code meta} (the reserved key and length; the checksum of the bytes written).
     * STORED: done, the reservation is over. ALREADY_PRESENT: the tier holds that key already; the reservation
     * stays open (the caller may remove the old copy and commit again, or abort). FAILED: the reservation stays
     * open and the caller aborts.
     *
     * @throws IllegalArgumentException if {@code meta} names another key or length than the one reserved
     */
    PutOutcome commit(BlockMeta meta);

    /** Gives the memory back, as if nothing had been reserved; idempotent, a no-op after a STORED commit. */
    void abort();
}
