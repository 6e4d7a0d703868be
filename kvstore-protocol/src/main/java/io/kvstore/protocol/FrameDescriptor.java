package io.kvstore.protocol;

/**
 * Layout of the fixed frame header that starts every frame in both directions (all integers big-endian):
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+---------------+---------------+
 *  |         magic 0x4B56 "KV"     |    version    |    opcode     |  0
 *  +---------------+---------------+---------------+---------------+
 *  |     flags     |    status     |        reserved (zero)        |  4
 *  +---------------+---------------+-------------------------------+
 *  |                          request id                           |  8
 *  |                           (64 bits)                           | 12
 *  +---------------------------------------------------------------+
 *  |                     body length (unsigned)                    | 16
 *  +---------------------------------------------------------------+
 *  |                     body (body length bytes)                  | 20
 *  |                              ...                              |
 * </pre>
 *
 * <p>{@code status} is 0 in requests and an {@link ErrorCode} in responses. {@code body length} counts the body
 * only; a frame is {@link #HEADER_BYTES} + body length bytes and may not exceed the negotiated maximum frame size.
 * Not instantiable: offsets and constants only.
 */
public final class FrameDescriptor {

    /** "KV" in ASCII. */
    public static final short MAGIC = 0x4B56;
    /** The protocol version this code speaks. */
    public static final byte VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int OPCODE_OFFSET = 3;
    public static final int FLAGS_OFFSET = 4;
    public static final int STATUS_OFFSET = 5;
    public static final int RESERVED_OFFSET = 6;
    public static final int REQUEST_ID_OFFSET = 8;
    public static final int BODY_LENGTH_OFFSET = 16;
    /** Bytes in the fixed header. */
    public static final int HEADER_BYTES = 20;

    /** Flag on the last frame of a stream (GET end frame, last PUT frame). */
    public static final int FLAG_END = 0x01;
    /** PUT: acknowledge only once the blocks are in a durable tier (otherwise: once admitted). */
    public static final int FLAG_ACK_PERSISTED = 0x02;
    /** LOOKUP: lease the hit blocks for the requested time. */
    public static final int FLAG_LEASE = 0x04;
    /** LOOKUP: start promoting the lower-tier part of the hit prefix (prefetch). */
    public static final int FLAG_PREFETCH = 0x08;
    /**
     * PUT: the block header's crc32c field is not set by the client; the server computes the checksum of the
     * payload as it arrived. Only for a session whose HELLO reply granted {@code Hello.FEATURE_SERVER_CHECKSUM}.
     */
    public static final int FLAG_SERVER_CHECKSUM = 0x10;
    /** Every flag bit version 1 defines; receivers refuse frames with other bits set. */
    public static final int KNOWN_FLAGS = FLAG_END | FLAG_ACK_PERSISTED | FLAG_LEASE | FLAG_PREFETCH
            | FLAG_SERVER_CHECKSUM;

    private FrameDescriptor() {
    }
}
