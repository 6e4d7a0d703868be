package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The layout of a block's metadata record (the value in the {@code default} column family, keyed by the block
 * key), written in the same atomic batch as the block. The tier rebuilds its index from these records at open
 * without reading any payload. Big-endian.
 *
 * <pre>
 *  offset  size  field
 *       0     1  version = 1
 *       1    32  parent key
 *      33     4  position in the chain
 *      37     8  namespace id
 *      45     4  layout id
 *      49     4  payload length
 *      53     4  payload CRC32C
 *      57     4  CRC32C of bytes 0..56
 *      61        (end)
 * </pre>
 */
public final class MetaDescriptor {

    /** Current layout version. */
    public static final byte VERSION = 1;
    /** Record length in bytes. */
    public static final int LENGTH = 61;

    private static final int CRC_OFFSET = 57;

    private MetaDescriptor() {
    }

    /** Encodes the metadata (its key is stored as the record's key, not inside it). */
    public static byte[] encode(BlockMeta m) {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.BIG_ENDIAN);
        b.put(VERSION);
        m.parent().writeTo(b);
        b.putInt(m.position()).putLong(m.namespaceId()).putInt(m.layoutId()).putInt(m.length()).putInt(m.crc32c());
        b.putInt(Checksums.crc32c(b.array(), 0, CRC_OFFSET));
        return b.array();
    }

    /** Decodes a record stored under {@code key}, or returns null if it is damaged or of an unknown version. */
    public static BlockMeta decode(BlockKey key, byte[] rec) {
        if (rec == null || rec.length != LENGTH || rec[0] != VERSION) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.BIG_ENDIAN);
        if (b.getInt(CRC_OFFSET) != Checksums.crc32c(rec, 0, CRC_OFFSET)) {
            return null;
        }
        b.position(1);
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
