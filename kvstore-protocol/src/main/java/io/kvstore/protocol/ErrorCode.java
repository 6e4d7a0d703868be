package io.kvstore.protocol;

/**
 * The {@code status} byte of a response frame. {@link #OK} on success; otherwise the body is a UTF-8 message
 * ({@code u16 length + bytes}) that says what was wrong. A {@link #fatal() fatal} error means the byte stream
 * can no longer be trusted (framing lost) or the session is refused: the server sends the error frame and closes
 * the connection. After a non-fatal error the connection stays usable.
 */
public enum ErrorCode {
    OK(0, false),
    /** The frame did not start with the magic bytes: not a kvstore client, or framing was lost. */
    BAD_MAGIC(1, true),
    /** The frame's version byte is one this peer does not speak. The message lists the versions it speaks. */
    UNSUPPORTED_VERSION(2, true),
    /** The opcode is not defined in this protocol version. */
    UNKNOWN_OPCODE(3, false),
    /** The body length exceeds the maximum frame size; the body is not read. */
    FRAME_TOO_LARGE(4, true),
    /** The body does not parse (too short, bad string, unknown flag bits, trailing garbage in a key list). */
    MALFORMED(5, false),
    /** A count exceeds a limit (keys per request, blocks per PUT stream). */
    LIMIT_EXCEEDED(6, false),
    /** A request other than HELLO (or PING) arrived before a successful HELLO. */
    NOT_AUTHENTICATED(7, false),
    /** The token is unknown. */
    AUTH_FAILED(8, true),
    /** The token may not use the requested namespace (tenant). */
    NAMESPACE_DENIED(9, true),
    /** The server is overloaded (the lower-tier read pool is full); retry later. */
    BUSY(10, false),
    /** An unexpected server fault; the message says which. */
    INTERNAL(11, false),
    /** The server is draining for shutdown and takes no new requests. */
    SHUTTING_DOWN(12, true),
    /** A PUT payload does not match its length or CRC32C. */
    BAD_CHECKSUM(13, false),
    /** The frame ended early: the connection closed inside a frame. Never sent; reported locally. */
    TRUNCATED(14, true),
    /** Shared memory is not offered to this session, or the client did not prove it runs on the server's host. */
    SHM_DENIED(15, false),
    /** A PUT would take the tenant's stored bytes over its quota; blocks already stored are kept. */
    QUOTA_EXCEEDED(16, false);

    private static final ErrorCode[] BY_CODE = new ErrorCode[256];

    static {
        for (ErrorCode e : values()) {
            BY_CODE[e.code] = e;
        }
    }

    private final int code;
    private final boolean fatal;

    ErrorCode(int code, boolean fatal) {
        this.code = code;
        this.fatal = fatal;
    }

    /** The byte on the wire. */
    public int code() {
        return code;
    }

    /** True if the connection is closed after this error. */
    public boolean fatal() {
        return fatal;
    }

    /** The error for a wire byte; unknown codes map to {@link #INTERNAL} (a newer server's code). */
    public static ErrorCode of(int code) {
        ErrorCode e = BY_CODE[code & 0xFF];
        return e == null ? INTERNAL : e;
    }
}
