package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

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
 *  |  version = 2  |   codec id    |          reserved (0)         |   4
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
 * <p>A record is served only if every check passes: magic, version, header CRC, the metadata in the header equal
 * to the index's (a record written under another key is a misdirected write), stored length equal to what follows
 * the header, a known codec that decodes to exactly the payload length, and the payload's CRC32C equal to both the
 * header's and the metadata's. Anything else is corrupt. Version 1 records (60-byte header without parent,
 * position and namespace) are not readable: a directory that holds them is started cold (see {@link NvmeTier}).
 */
public final class RecordDescriptor {

    /** "KVB1". */
    public static final int MAGIC = 0x4B564231;
    /** Current layout version. */
    public static final byte VERSION = 2;
    /** Header length in bytes. */
    public static final int HEADER_LENGTH = 104;

    static final int CODEC_OFFSET = 5;
    static final int LAYOUT_OFFSET = 8;
    static final int LENGTH_OFFSET = 12;
    static final int STORED_LENGTH_OFFSET = 16;
    static final int CRC_OFFSET = 20;
    static final int KEY_OFFSET = 24;
    static final int PARENT_OFFSET = 56;
    static final int POSITION_OFFSET = 88;
    static final int NAMESPACE_OFFSET = 92;
    static final int HEADER_CRC_OFFSET = 100;

    /** A header that passed its own checks: the block's metadata and how many stored bytes follow it. */
    record Header(BlockMeta meta, Codec codec, int storedLength) {
        /** Header plus stored payload. */
        int recordLength() {
            return HEADER_LENGTH + storedLength;
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
        ByteBuffer h = dst.order(ByteOrder.BIG_ENDIAN);
        h.putInt(0, MAGIC);
        h.put(4, VERSION);
        h.put(CODEC_OFFSET, used.id());
        h.putShort(6, (short) 0);
        h.putInt(LAYOUT_OFFSET, meta.layoutId());
        h.putInt(LENGTH_OFFSET, len);
        h.putInt(STORED_LENGTH_OFFSET, stored);
        h.putInt(CRC_OFFSET, meta.crc32c());
        h.position(KEY_OFFSET);
        meta.key().writeTo(h);
        meta.parent().writeTo(h);
        h.putInt(POSITION_OFFSET, meta.position());
        h.putLong(NAMESPACE_OFFSET, meta.namespaceId());
        h.putInt(HEADER_CRC_OFFSET, headerCrc(h));
        h.position(0).limit(HEADER_LENGTH + stored);
        return used;
    }

    private static int headerCrc(ByteBuffer record) {
        return Checksums.crc32c(record.duplicate().position(0).limit(HEADER_CRC_OFFSET));
    }

    /**
     * Reads the header at index 0 of {@code buf} (at least {@link #HEADER_LENGTH} bytes up to its limit), or
     * returns null if it is not a valid header of this version (never written, torn, damaged, or another layout).
     * The payload is not checked.
     */
    static Header header(ByteBuffer buf) {
        if (buf == null || buf.limit() < HEADER_LENGTH) {
            return null;
        }
        ByteBuffer h = buf.duplicate().order(ByteOrder.BIG_ENDIAN);
        if (h.getInt(0) != MAGIC || h.get(4) != VERSION || h.getInt(HEADER_CRC_OFFSET) != headerCrc(h)) {
            return null;
        }
        Codec codec = Codec.byId(h.get(CODEC_OFFSET));
        int len = h.getInt(LENGTH_OFFSET);
        int stored = h.getInt(STORED_LENGTH_OFFSET);
        int position = h.getInt(POSITION_OFFSET);
        if (codec == null || len < 0 || stored < 0 || position < 0 || (codec == Codec.NONE && stored != len)
                || stored > Integer.MAX_VALUE - HEADER_LENGTH - SegmentStore.ALIGN) {
            return null;
        }
        h.position(KEY_OFFSET);
        BlockKey key = BlockKey.read(h);
        BlockKey parent = BlockKey.read(h);
        BlockMeta meta = new BlockMeta(key, parent, position, h.getLong(NAMESPACE_OFFSET), h.getInt(LAYOUT_OFFSET),
                len, h.getInt(CRC_OFFSET));
        return new Header(meta, codec, stored);
    }

    /**
     * Verifies and decodes a record (index 0 to limit of {@code record}) read for {@code meta}. Returns the
     * payload (a read-only-able view into {@code record} for {@link Codec#NONE}, a new heap buffer otherwise), or
     * null if any check fails.
     */
    public static ByteBuffer decode(ByteBuffer record, BlockMeta meta) {
        Header h = header(record);
        if (h == null || !h.meta().equals(meta) || h.storedLength() != record.limit() - HEADER_LENGTH) {
            return null;
        }
        ByteBuffer payload;
        if (h.codec() == Codec.NONE) {
            payload = record.duplicate().position(HEADER_LENGTH).limit(HEADER_LENGTH + meta.length()).slice();
        } else {
            byte[] plain = h.codec().decode(record, HEADER_LENGTH, h.storedLength(), meta.length());
            if (plain == null) {
                return null;
            }
            payload = ByteBuffer.wrap(plain);
        }
        return Checksums.crc32c(payload) == meta.crc32c() ? payload : null;
    }
}
