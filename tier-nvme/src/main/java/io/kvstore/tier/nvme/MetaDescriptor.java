package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.BlockMetaDescriptor;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The layout of a block's index record (the value in RocksDB, keyed by the block key): the block's metadata and
 * where its record lies in the segment files ({@link SegmentStore.Location}). The tier rebuilds its index from
 * these records at open without reading any payload. Big-endian.
 *
 * <pre>
 *  offset  size  field
 *       0     1  version = 2
 *       1    56  the block's metadata but its key ({@link BlockMetaDescriptor}):
 *                  parent key, position, namespace id, layout id, payload length, payload CRC32C
 *      57     8  segment id
 *      65     8  record offset in the segment
 *      73     4  record length (header + stored payload)
 *      77     4  CRC32C of bytes 0..76
 *      81        (end)
 * </pre>
 * Version 1 records (the BlobDB layout, 61 bytes, no location) are not readable: they decode as damaged.
 */
public final class MetaDescriptor {

    /** Current layout version. */
    public static final byte VERSION = 2;
    /** Record length in bytes. */
    public static final int LENGTH = 81;

    private static final int CRC_OFFSET = 77;

    /**
     * A decoded index record, and the NVMe tier's in-memory index entry: the location's fields inline rather than a
     * {@link SegmentStore.Location} object (40 bytes per block instead of 56; {@link #location()} makes one).
     */
    record Entry(BlockMeta meta, long segment, long offset, int length) {

        Entry(BlockMeta meta, SegmentStore.Location location) {
            this(meta, location.segment(), location.offset(), location.length());
        }

        /** The record's length padded to the segment's alignment: the bytes it takes on disk. */
        int padded() {
            return SegmentStore.Location.padded(length);
        }

        /** Where the record is (a new object: code that needs one field reads it from the entry). */
        SegmentStore.Location location() {
            return new SegmentStore.Location(segment, offset, length);
        }
    }

    private MetaDescriptor() {
    }

    /** Encodes the metadata and location (the block key is stored as the record's key, not inside it). */
    static byte[] encode(BlockMeta m, SegmentStore.Location loc) {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.BIG_ENDIAN);
        b.put(VERSION);
        BlockMetaDescriptor.write(b, m);
        b.putLong(loc.segment()).putLong(loc.offset()).putInt(loc.length());
        b.putInt(Checksums.crc32c(b.array(), 0, CRC_OFFSET));
        return b.array();
    }

    /** Decodes a record stored under {@code key}, or returns null if it is damaged or of an unknown version. */
    static Entry decode(BlockKey key, byte[] rec) {
        if (rec == null || rec.length != LENGTH || rec[0] != VERSION) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.BIG_ENDIAN);
        if (b.getInt(CRC_OFFSET) != Checksums.crc32c(rec, 0, CRC_OFFSET)) {
            return null;
        }
        b.position(1);
        BlockMeta meta = BlockMetaDescriptor.read(b, key);
        long segment = b.getLong();
        long offset = b.getLong();
        int recordLength = b.getInt();
        if (meta == null || segment < 0 || offset < 0 || recordLength < RecordDescriptor.HEADER_LENGTH) {
            return null;
        }
        return new Entry(meta, new SegmentStore.Location(segment, offset, recordLength));
    }
}
