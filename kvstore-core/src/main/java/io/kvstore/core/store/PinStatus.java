package io.kvstore.core.store;

/** What a pin, unpin or delete did. */
public enum PinStatus {
    /** The block is now pinned (its pin count went up). */
    PINNED,
    /** One pin was released. */
    UNPINNED,
    /** The block was removed. */
    DELETED,
    /** The block was not pinned. */
    NOT_PINNED,
    /** No such block in this namespace. */
    NOT_FOUND
}
