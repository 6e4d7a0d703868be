package io.kvstore.protocol;

/**
 * Layout of the block header that starts a PUT frame's body and a GET block frame's body; the payload follows
 * it (big-endian):
 *
 * <pre>
 *  offset  size  field
 *       0    32  key        chained SHA-256 block key
 *      32    32  parent     key of the previous block (the namespace root for position 0)
 *      64     4  position   index in the chain (u32, &lt; 2^31)
 *      68     4  layout id  Namespace#layoutId()
 *      72     4  length     payload bytes (u32, &lt; 2^31); must equal body length - 80
 *      76     4  crc32c     CRC32C of the payload
 *      80     -  payload
 * </pre>
 *
 * The namespace id is not on the wire: the server takes it from the session's HELLO.
 */
public final class BlockDescriptor {

    public static final int KEY_OFFSET = 0;
    public static final int PARENT_OFFSET = 32;
    public static final int POSITION_OFFSET = 64;
    public static final int LAYOUT_ID_OFFSET = 68;
    public static final int LENGTH_OFFSET = 72;
    public static final int CRC_OFFSET = 76;
    /** Bytes before the payload. */
    public static final int BYTES = 80;

    private BlockDescriptor() {
    }
}
