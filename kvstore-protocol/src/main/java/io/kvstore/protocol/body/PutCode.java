package io.kvstore.protocol.body;

/**
 * What became of one block of a PUT, as the ack carries it (one byte per block in a {@link StatusList}): fixed wire
 * numbers, independent of the declaration order. The server maps its engine's answers to these; the client hands
 * them to its caller.
 */
public enum PutCode {
    /** Stored now. */
    STORED(0),
    /** Already cached (by this or an earlier put): nothing written. */
    ALREADY_PRESENT(1),
    /** Every tier's admission policy refused it. */
    REJECTED(2),
    /** No tier had room (everything evictable is pinned or leased). */
    NO_CAPACITY(3),
    /** Larger than every tier. */
    TOO_LARGE(4),
    /** The key is cached under another namespace. */
    NAMESPACE_CONFLICT(5),
    /** The payload does not match its CRC32C. */
    BAD_CHECKSUM(6),
    /** A tier failed to store it (see the daemon's log); also any code this version does not know. */
    FAILED(7);

    private static final PutCode[] BY_CODE = values();

    private final int code;

    PutCode(int code) {
        this.code = code;
    }

    /** The wire number. */
    public int code() {
        return code;
    }

    /** The code of wire number {@code code}; {@link #FAILED} for a number this version does not know. */
    public static PutCode of(int code) {
        for (PutCode c : BY_CODE) {
            if (c.code == code) {
                return c;
            }
        }
        return FAILED;
    }

    /** True if the block is cached (stored now or before). */
    public boolean isCached() {
        return this == STORED || this == ALREADY_PRESENT;
    }
}
