package io.kvstore.core.store;

import io.kvstore.core.block.BlockMeta;

/**
 * One thing that happened to a block, reported to a {@link StoreEventListener}.
 *
 * @param type     what happened
 * @param meta     the block
 * @param tier     the tier it happened in (for moves: the tier it left)
 * @param toTier   for {@link Type#DEMOTED} and {@link Type#PROMOTED}: the tier it moved to; otherwise null
 * @param policy   the policy that decided, for {@link Type#ADMITTED}, {@link Type#REJECTED}, {@link Type#DEMOTED}
 *                 and {@link Type#EVICTED}; otherwise null
 * @param nanoTime store-clock time
 */
public record StoreEvent(Type type, BlockMeta meta, String tier, String toTier, String policy, long nanoTime) {

    /** Kinds of events. */
    public enum Type {
        /** Entered a tier on a put. */
        ADMITTED,
        /** A tier's policy refused it. */
        REJECTED,
        /** Chosen as a victim and moved one tier down. */
        DEMOTED,
        /** Chosen as a victim in the last tier that would take it, and dropped from the store. */
        EVICTED,
        /** Moved up on a hit. */
        PROMOTED,
        /** Served by a get. */
        HIT,
        /** Failed its checksum; dropped. */
        CORRUPT,
        /** Removed on request. */
        DELETED
    }
}
