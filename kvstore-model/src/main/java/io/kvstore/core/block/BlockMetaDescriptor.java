package io.kvstore.core.block;

import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;

/**
 * The one encoding of a block's metadata after its key, shared by the records that persist it: the NVMe tier's
 * index record (after its version byte; its key is the record's key) and the remote tier's block header (after
 * magic, version and block key). Big-endian, {@link #BYTES} bytes:
 *
 * <pre>
 *  offset  size  field
 *       0    32  parent key
 *      32     4  position in the chain
 *      36     8  namespace id
 *      44     4  layout id
 *      48     4  payload length
 *      52     4  payload CRC32C
 *      56        (end)
 * </pre>
 * The records around it carry their own version and checksum; this layout never changes without them.
 */
public final class BlockMetaDescriptor {

    /** Bytes of the encoded fields. */
    public static final int BYTES = 56;

    private BlockMetaDescriptor() {
    }

    /** Writes everything of {@code m} but its key at {@code b}'s position (big-endian {@code b}), advancing it. */
    public static void write(ByteBuffer b, BlockMeta m) {
        m.parent().writeTo(b);
        b.putInt(m.position()).putLong(m.namespaceId()).putInt(m.layoutId()).putInt(m.length()).putInt(m.crc32c());
    }

    /**
     * Reads the fields at {@code b}'s position (big-endian {@code b}; always advances it by {@link #BYTES}) as the
     * metadata of block {@code key}, or returns null if they cannot be (a negative position or length: damage).
     */
    public static BlockMeta read(ByteBuffer b, BlockKey key) {
        BlockKey parent = BlockKey.read(b);
        int position = b.getInt();
        long ns = b.getLong();
        int layout = b.getInt();
        int length = b.getInt();
        int crc = b.getInt();
        if (position < 0 || length < 0) {
            return null;
        }
        return new BlockMeta(key, parent, position, ns, layout, length, crc);
    }
}
