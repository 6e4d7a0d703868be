package io.kvstore.core.store;

/** What {@link TieredStore#put} did. */
public enum PutStatus {
    /** Stored in some tier. */
    STORED,
    /** The block is already cached (in some tier); nothing changed. */
    ALREADY_PRESENT,
    /** Every tier's policy refused to admit it (an admission filter); not stored. */
    REJECTED,
    /** No tier had room, even after eviction (everything evictable is pinned or leased). */
    NO_CAPACITY,
    /** The block is larger than every tier. */
    TOO_LARGE,
    /** The key is cached under another namespace; the existing block is kept. */
    NAMESPACE_CONFLICT,
    /** The payload does not match its length or checksum; not stored. */
    BAD_CHECKSUM,
    /** An I/O error in a tier; not stored. */
    FAILED;

    /** True if the block is in the store after the call. */
    public boolean isCached() {
        return this == STORED || this == ALREADY_PRESENT;
    }
}
