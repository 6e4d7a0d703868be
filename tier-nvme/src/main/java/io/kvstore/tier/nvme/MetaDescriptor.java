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
     * A decoded index record, and the NVMe tier's in-memory index entry: the block's metadata and its record's location
     * as fields of one object (56 bytes) rather than a {@link BlockMeta} (48), its own header and a {@link
     * SegmentStore.Location} (56 before 2026-12-04, then 40 with the location inline): with the engine keeping no entry
     * for a block only this tier holds (the store's cold level), this object and the block's key are all the heap
     * the block costs beside the tables. {@link #meta()} and {@link #location()} make the objects on demand. The
     * segment id is kept as an {@code int} and the offset in units of the records' 4 KiB alignment.
     */
    static final class Entry {
        private final BlockKey key;
        private final BlockKey parent;
        private final long namespaceId;
        private final int position;
        private final int layoutId;
        private final int payloadLength;
        private final int crc32c;
        private final int segment;
        private final int offsetUnits;
        private final int length;

        Entry(BlockMeta meta, long segment, long offset, int length) {
            if (offset % SegmentStore.ALIGN != 0) {
                throw new IllegalArgumentException("record offset " + offset + " is not a multiple of "
                        + SegmentStore.ALIGN);
            }
            this.key = meta.key();
            this.parent = meta.parent();
            this.namespaceId = meta.namespaceId();
            this.position = meta.position();
            this.layoutId = meta.layoutId();
            this.payloadLength = meta.length();
            this.crc32c = meta.crc32c();
            this.segment = Math.toIntExact(segment);
            this.offsetUnits = Math.toIntExact(offset / SegmentStore.ALIGN);
            this.length = length;
        }

        Entry(BlockMeta meta, SegmentStore.Location location) {
            this(meta, location.segment(), location.offset(), location.length());
        }

        /** The block's key (the object the entry holds, not a copy). */
        BlockKey key() {
            return key;
        }

        /** The block's metadata (a new object, sharing the key objects). */
        BlockMeta meta() {
            return new BlockMeta(key, parent, position, namespaceId, layoutId, payloadLength, crc32c);
        }

        /** This entry with {@code parent} as the parent's key object (an equal key), the location unchanged. */
        Entry withParent(BlockKey parent) {
            return new Entry(meta().withParent(parent), segment(), offset(), length);
        }

        BlockKey parent() {
            return parent;
        }

        long namespaceId() {
            return namespaceId;
        }

        /** The block's position in its chain. */
        int position() {
            return position;
        }

        /** The payload's length (the block's, not the record's). */
        int payloadLength() {
            return payloadLength;
        }

        long segment() {
            return segment;
        }

        long offset() {
            return (long) offsetUnits * SegmentStore.ALIGN;
        }

        /** The record's length: header and stored payload, unpadded. */
        int length() {
            return length;
        }

        /** The record's length padded to the segment's alignment: the bytes it takes on disk. */
        int padded() {
            return SegmentStore.Location.padded(length);
        }

        /** Where the record is (a new object: code that needs one field reads it from the entry). */
        SegmentStore.Location location() {
            return new SegmentStore.Location(segment, offset(), length);
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
