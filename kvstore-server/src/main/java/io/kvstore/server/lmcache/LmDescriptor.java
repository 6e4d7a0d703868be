package io.kvstore.server.lmcache;

/**
 * The byte layouts of LMCache's v1 server protocol ({@code lm://}), as LMCache's {@code lmcache/v1/protocol.py}
 * packs them with Python's {@code struct} in native byte order (little-endian on every platform LMCache runs on).
 *
 * <pre>
 * request header, 186 bytes ("iiiiiiiii150s")        reply header, 36 bytes ("iiiiiiiii")
 * offset size field                                   offset size field
 *      0    4 command  1 PUT 2 GET 3 EXIST 4 LIST          0    4 code     200 ok, 400 fail
 *           5 HEALTH                                       4    4 length   payload bytes that follow (GET)
 *      4    4 length   payload bytes that follow (PUT)     8    4 fmt      as stored by PUT
 *      8    4 fmt      MemoryFormat value                 12    4 dtype    as stored by PUT
 *     12    4 dtype    dtype code (0 none, 1..8)          16   16 shape0..3 as stored by PUT
 *     16    4 location 0 none, 1 cpu, 2 disk              32    4 location 0
 *     20   16 shape0..3
 *     36  150 key      UTF-8, padded with spaces
 * </pre>
 *
 * A PUT is the header plus {@code length} payload bytes and gets no reply; GET gets the reply header and, on 200,
 * {@code length} payload bytes; EXIST, HEALTH and LIST get the header alone.
 *
 * <p>The door stores a PUT's value as one block: a 28-byte prefix (length, fmt, dtype, shape0..3, little-endian)
 * followed by the payload, so that GET can echo what PUT said without a second lookup.
 */
final class LmDescriptor {

    static final int REQUEST_BYTES = 186;
    static final int REPLY_BYTES = 36;
    static final int KEY_OFFSET = 36;
    static final int KEY_BYTES = 150;
    /** The metadata stored in front of a value: length, fmt, dtype, shape0..3. */
    static final int STORED_PREFIX_BYTES = 28;

    static final int PUT = 1;
    static final int GET = 2;
    static final int EXIST = 3;
    static final int LIST = 4;
    static final int HEALTH = 5;

    static final int SUCCESS = 200;
    static final int FAIL = 400;

    /** What LMCache's own server answers in the fields of a reply without a value: fmt 1, dtype 2 (float16). */
    static final int EMPTY_FMT = 1;
    static final int EMPTY_DTYPE = 2;

    private LmDescriptor() {
    }

    static String commandName(int command) {
        return switch (command) {
            case PUT -> "put";
            case GET -> "get";
            case EXIST -> "exist";
            case LIST -> "list";
            case HEALTH -> "health";
            default -> "unknown";
        };
    }
}
