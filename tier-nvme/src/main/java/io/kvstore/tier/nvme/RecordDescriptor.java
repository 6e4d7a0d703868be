package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of a stored block in a segment file: a self-describing header (everything in
 * {@link BlockMeta}, so that the index can be rebuilt from the records alone) followed by the payload, in one
 * aligned write. Big-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic 0x4B564231 "KVB1"                   |   0
 *  +---------------+---------------+-------------------------------+
 *  |  version = 2  |   codec id    |     flags     |  reserved (0) |   4
 *  +---------------+---------------+-------------------------------+
 *  |                           layout id                           |   8
 *  +---------------------------------------------------------------+
 *  |                payload length (decoded bytes)                 |  12
 *  +---------------------------------------------------------------+
 *  |               stored length (bytes after header)              |  16
 *  +---------------------------------------------------------------+
 *  |                CRC32C of the decoded payload                  |  20
 *  +---------------------------------------------------------------+
 *  |                    block key (32 bytes)                       |  24
 *  +---------------------------------------------------------------+
 *  |                    parent key (32 bytes)                      |  56
 *  +---------------------------------------------------------------+
 *  |                     position in the chain                     |  88
 *  +---------------------------------------------------------------+
 *  |                      namespace id (8 bytes)                   |  92
 *  +---------------------------------------------------------------+
 *  |                 CRC32C of header bytes 0..99                  | 100
 *  +---------------------------------------------------------------+
 *  |                stored payload (stored length bytes)           | 104
 *  |                             ...                               |
 * </pre>
 *
 * <p>Version 3 is the same header with its payload at {@link #ALIGNED_PAYLOAD_OFFSET} (4 KiB) instead of right
 * after the header, the bytes between zero ({@link Codec#NONE} only). A payload that sits in 4 KiB-aligned direct
 * memory (a block demoted from the DRAM arena) is then written straight from where it is, in one gathering write
 * with its header, instead of being copied into a record buffer first ({@link BlockWriter}): a profile of PUTs into
 * full tiers had the demoters spend most of their time in that copy. A payload whose length is a multiple of 4 KiB
 * takes no more room on the device than in version 2 (the header's 104 bytes already cost a 4 KiB unit); otherwise
 * one unit more at most. Both versions are read; a daemon that knows only version 2 drops version 3 records as
 * damaged.
 *
 * <p><b>Bound records.</b> A record is written with flag {@link #FLAG_BOUND} set, and its header CRC then covers the
 * header's first 100 bytes followed by the id of the segment it is written to (8 bytes, big-endian): the record is
 * valid in that segment only. Segment files are recycled (a reclaimed segment's file becomes a later segment and is
 * written over from its start, {@code SegmentStore}), so past a recycled segment's last record lie records of an
 * earlier segment, intact: bound to that earlier id, they fail the header check and are never indexed again, where
 * an unbound record would be. The tail scan at open therefore takes bound records only; a read through the index
 * also takes an unbound one (written by a daemon before binding), whose metadata must still equal the index's.
 * A daemon that predates the flag reads a bound record as damaged.
 *
 * <p>A record is served only if every check passes: magic, version, header CRC, the metadata in the header equal
 * to the index's (a record written under another key is a misdirected write), stored length equal to what follows
 * the header, a known codec that decodes to exactly the payload length, and the payload's CRC32C equal to both the
 * header's and the metadata's. Anything else is corrupt. Version 1 records (60-byte header without parent,
 * position and namespace) are not readable: a directory that holds them is started cold (see {@link NvmeTier}).
 */
public final class RecordDescriptor {

    /** "KVB1". */
    public static final int MAGIC = 0x4B564231;
    /** Layout version of records whose payload follows the header. */
    public static final byte VERSION = 2;
    /** Layout version of records whose payload starts at {@link #ALIGNED_PAYLOAD_OFFSET}. */
    public static final byte VERSION_ALIGNED = 3;
    /** Header length in bytes. */
    public static final int HEADER_LENGTH = 104;
    /** Where a version 3 record's payload starts: the device's 4 KiB unit. */
    public static final int ALIGNED_PAYLOAD_OFFSET = SegmentStore.ALIGN;

    static final int CODEC_OFFSET = 5;
    static final int FLAGS_OFFSET = 6;
    /** The header CRC covers the id of the segment the record was written to (see the class comment). */
    static final byte FLAG_BOUND = 1;
    static final int LAYOUT_OFFSET = 8;
    static final int LENGTH_OFFSET = 12;
    static final int STORED_LENGTH_OFFSET = 16;
    static final int CRC_OFFSET = 20;
    static final int KEY_OFFSET = 24;
    static final int PARENT_OFFSET = 56;
    static final int POSITION_OFFSET = 88;
    static final int NAMESPACE_OFFSET = 92;
    static final int HEADER_CRC_OFFSET = 100;

    /**
     * A header that passed its own checks: the block's metadata, how many stored bytes follow it and where they
     * start ({@link #HEADER_LENGTH} in version 2, {@link #ALIGNED_PAYLOAD_OFFSET} in version 3).
     */
    record Header(BlockMeta meta, Codec codec, int storedLength, int payloadOffset) {
        /** Header (and its padding) plus stored payload. */
        int recordLength() {
            return payloadOffset + storedLength;
        }
    }

    private RecordDescriptor() {
    }

    /** Bytes a record of a {@code length}-byte payload may need before encoding ({@link #encode}'s buffer). */
    public static int maxRecordLength(int length, Codec codec) {
        return HEADER_LENGTH + Math.max(length, codec.maxEncodedLength(length));
    }

    /**
     * Encodes a record into {@code dst} from index 0: header plus {@code payload} (position to limit; unchanged)
     * encoded with {@code codec}, or with {@link Codec#NONE} if the codec does not pay. {@code dst} needs
     * {@link #maxRecordLength} bytes of capacity; on return its position is 0 and its limit the record's length.
     * Returns the codec actually used.
     */
    public static Codec encode(BlockMeta meta, ByteBuffer payload, Codec codec, ByteBuffer dst) {
        int len = payload.remaining();
        dst.clear();
        Codec used = codec;
        int stored = codec.encode(payload, dst, HEADER_LENGTH);
        if (stored < 0) {
            used = Codec.NONE;
            stored = Codec.NONE.encode(payload, dst, HEADER_LENGTH);
        }
        writeHeader(meta, VERSION, used, len, stored, dst);
        dst.position(0).limit(HEADER_LENGTH + stored);
        return used;
    }

    /**
     * Writes the first {@link #ALIGNED_PAYLOAD_OFFSET} bytes of a version 3 record of {@code meta}'s payload
     * (uncoded: the payload itself follows, from wherever it is) into {@code dst} from index 0: the header, then
     * zeros. On return {@code dst}'s position is 0 and its limit {@link #ALIGNED_PAYLOAD_OFFSET}.
     */
    static void encodeAlignedHeader(BlockMeta meta, ByteBuffer dst) {
        dst.clear().limit(ALIGNED_PAYLOAD_OFFSET);
        for (int i = HEADER_LENGTH; i < ALIGNED_PAYLOAD_OFFSET; i += Long.BYTES) {
            dst.putLong(i, 0L);
        }
        writeHeader(meta, VERSION_ALIGNED, Codec.NONE, meta.length(), meta.length(), dst);
        dst.position(0);
    }

    private static void writeHeader(BlockMeta meta, byte version, Codec codec, int length, int stored,
                                    ByteBuffer dst) {
        ByteBuffer h = dst.order(ByteOrder.BIG_ENDIAN);
        h.putInt(0, MAGIC);
        h.put(4, version);
        h.put(CODEC_OFFSET, codec.id());
        h.putShort(FLAGS_OFFSET, (short) 0);
        h.putInt(LAYOUT_OFFSET, meta.layoutId());
        h.putInt(LENGTH_OFFSET, length);
        h.putInt(STORED_LENGTH_OFFSET, stored);
        h.putInt(CRC_OFFSET, meta.crc32c());
        h.position(KEY_OFFSET);
        meta.key().writeTo(h);
        meta.parent().writeTo(h);
        h.putInt(POSITION_OFFSET, meta.position());
        h.putLong(NAMESPACE_OFFSET, meta.namespaceId());
        h.putInt(HEADER_CRC_OFFSET, headerCrc(h));
    }

    private static int headerCrc(ByteBuffer record) {
        return Checksums.crc32c(record.duplicate().position(0).limit(HEADER_CRC_OFFSET));
    }

    /** The header CRC of a record bound to {@code segment}: bytes 0..99, then the segment id. */
    private static int headerCrc(ByteBuffer record, long segment) {
        CRC32C crc = new CRC32C();
        crc.update(record.duplicate().position(0).limit(HEADER_CRC_OFFSET));
        for (int shift = 56; shift >= 0; shift -= 8) {
            crc.update((int) (segment >>> shift));
        }
        return (int) crc.getValue();
    }

    /**
     * Binds the record whose header is at index 0 of {@code record} to {@code segment}, the id of the segment it is
     * about to be written to: sets {@link #FLAG_BOUND} and recomputes the header CRC over the header and the id.
     * Neither position nor limit changes. Binding a bound record again rebinds it.
     */
    static void bind(ByteBuffer record, long segment) {
        ByteBuffer h = record.duplicate().order(ByteOrder.BIG_ENDIAN);
        h.put(FLAGS_OFFSET, FLAG_BOUND);
        h.putInt(HEADER_CRC_OFFSET, headerCrc(h, segment));
    }

    /**
     * Reads the header at index 0 of {@code buf} (at least {@link #HEADER_LENGTH} bytes up to its limit), read from
     * segment {@code segment}, or returns null if it is not a valid header of this version there (never written,
     * torn, damaged, another layout, or bound to another segment; with {@code boundOnly}, also an unbound one).
     * The payload is not checked.
     */
    static Header header(ByteBuffer buf, long segment, boolean boundOnly) {
        if (buf == null || buf.limit() < HEADER_LENGTH) {
            return null;
        }
        ByteBuffer h = buf.duplicate().order(ByteOrder.BIG_ENDIAN);
        byte version = h.get(4);
        byte flags = h.get(FLAGS_OFFSET);
        boolean bound = flags == FLAG_BOUND;
        if (h.getInt(0) != MAGIC || (version != VERSION && version != VERSION_ALIGNED)
                || (flags != 0 && !bound) || (boundOnly && !bound) || h.get(FLAGS_OFFSET + 1) != 0
                || h.getInt(HEADER_CRC_OFFSET) != (bound ? headerCrc(h, segment) : headerCrc(h))) {
            return null;
        }
        int payloadOffset = version == VERSION_ALIGNED ? ALIGNED_PAYLOAD_OFFSET : HEADER_LENGTH;
        Codec codec = Codec.byId(h.get(CODEC_OFFSET));
        int len = h.getInt(LENGTH_OFFSET);
        int stored = h.getInt(STORED_LENGTH_OFFSET);
        int position = h.getInt(POSITION_OFFSET);
        if (codec == null || len < 0 || stored < 0 || position < 0 || (codec == Codec.NONE && stored != len)
                || (version == VERSION_ALIGNED && codec != Codec.NONE)
                || stored > Integer.MAX_VALUE - payloadOffset - SegmentStore.ALIGN) {
            return null;
        }
        h.position(KEY_OFFSET);
        BlockKey key = BlockKey.read(h);
        BlockKey parent = BlockKey.read(h);
        BlockMeta meta = new BlockMeta(key, parent, position, h.getLong(NAMESPACE_OFFSET), h.getInt(LAYOUT_OFFSET),
                len, h.getInt(CRC_OFFSET));
        return new Header(meta, codec, stored, payloadOffset);
    }

    /**
     * Verifies and decodes a record (index 0 to limit of {@code record}) read for {@code meta} from segment
     * {@code segment}. Returns the payload (a read-only-able view into {@code record} for {@link Codec#NONE}, a new
     * heap buffer otherwise), or null if any check fails.
     */
    public static ByteBuffer decode(ByteBuffer record, BlockMeta meta, long segment) {
        Header h = header(record, segment, false);
        if (h == null || !h.meta().equals(meta) || h.recordLength() != record.limit()) {
            return null;
        }
        int at = h.payloadOffset();
        ByteBuffer payload;
        if (h.codec() == Codec.NONE) {
            payload = record.duplicate().position(at).limit(at + meta.length()).slice();
        } else {
            byte[] plain = h.codec().decode(record, at, h.storedLength(), meta.length());
            if (plain == null) {
                return null;
            }
            payload = ByteBuffer.wrap(plain);
        }
        return Checksums.crc32c(payload) == meta.crc32c() ? payload : null;
    }
}
