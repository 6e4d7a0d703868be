package io.kvstore.core.tier;

/** What a {@link Tier#put} did. */
public enum PutOutcome {
    /** The block is stored. */
    STORED,
    /** A block with this key was already stored; nothing changed. */
    ALREADY_PRESENT,
    /** The tier is full; the caller should evict and retry, or go elsewhere. */
    NO_CAPACITY,
    /** The block can never fit in this tier. */
    TOO_LARGE,
    /** An I/O error; the block is not stored. Details are in the tier's log and error counters. */
    FAILED
}
