package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Layout of one value of the DRAM tier's index (a Chronicle Map from the 32 key bytes to this record). The
 * record says where a block's payload lies in the arena and carries the rest of its metadata, so that a warm
 * restart rebuilds everything from the index and the arena files alone. Little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 allocation id (64 bits, unique)               |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 first page of the run (32 bits)               |  8
 *  +---------------------------------------------------------------+
 *  |                 payload length in bytes                       | 12
 *  +---------------------------------------------------------------+
 *  |                 payload CRC32C                                | 16
 *  +---------------------------------------------------------------+
 *  |                 position in the chain                         | 20
 *  +---------------------------------------------------------------+
 *  |                 namespace id (64 bits)                        | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 layout id                                     | 32
 *  +---------------------------------------------------------------+
 *  |                 format version (1)                            | 36
 *  +---------------------------------------------------------------+
 *  |                 parent key (32 bytes)                        ... 40
 *  +---------------------------------------------------------------+
 *                                                                    72 = LENGTH
 * </pre>
 *
 * The run's page count is not stored: it is {@code max(1, ceil(length / pageSize))}.
 */
final class IndexRecordDescriptor {

    static final int ID_OFFSET = 0;
    static final int FIRST_PAGE_OFFSET = 8;
    static final int LENGTH_OFFSET = 12;
    static final int CRC_OFFSET = 16;
    static final int POSITION_OFFSET = 20;
    static final int NAMESPACE_OFFSET = 24;
    static final int LAYOUT_OFFSET = 32;
    static final int VERSION_OFFSET = 36;
    static final int PARENT_OFFSET = 40;
    static final int LENGTH = PARENT_OFFSET + BlockKey.BYTES;
    static final int VERSION = 1;

    private IndexRecordDescriptor() {
    }

    /** One decoded record. */
    record IndexRecord(long id, int firstPage, BlockMeta meta) {
    }

    static byte[] encode(long id, int firstPage, BlockMeta m) {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(ID_OFFSET, id)
                .putInt(FIRST_PAGE_OFFSET, firstPage)
                .putInt(LENGTH_OFFSET, m.length())
                .putInt(CRC_OFFSET, m.crc32c())
                .putInt(POSITION_OFFSET, m.position())
                .putLong(NAMESPACE_OFFSET, m.namespaceId())
                .putInt(LAYOUT_OFFSET, m.layoutId())
                .putInt(VERSION_OFFSET, VERSION);
        b.position(PARENT_OFFSET);
        m.parent().writeTo(b);
        return b.array();
    }

    /**
     * Decodes a record of {@code key}.
     *
     * @throws IllegalArgumentException if the record is malformed (wrong size, version or field values)
     */
    static IndexRecord decode(BlockKey key, byte[] value) {
        if (value.length != LENGTH) {
            throw new IllegalArgumentException("index record of " + value.length + " bytes, expected " + LENGTH);
        }
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(VERSION_OFFSET) != VERSION) {
            throw new IllegalArgumentException("index record version " + b.getInt(VERSION_OFFSET));
        }
        b.position(PARENT_OFFSET);
        BlockKey parent = BlockKey.read(b);
        BlockMeta meta = new BlockMeta(key, parent, b.getInt(POSITION_OFFSET), b.getLong(NAMESPACE_OFFSET),
                b.getInt(LAYOUT_OFFSET), b.getInt(LENGTH_OFFSET), b.getInt(CRC_OFFSET));
        return new IndexRecord(b.getLong(ID_OFFSET), b.getInt(FIRST_PAGE_OFFSET), meta);
    }

    /** The record under {@code key}, or null if {@code value} is malformed. */
    static IndexRecord decodeOrNull(byte[] key, byte[] value) {
        try {
            return decode(BlockKey.of(key), value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
