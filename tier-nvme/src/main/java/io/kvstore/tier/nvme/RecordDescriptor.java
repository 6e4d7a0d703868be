package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The on-disk layout of a stored block (the value in the {@code blocks} column family). Big-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic 0x4B564231 "KVB1"                   |  0
 *  +---------------+---------------+-------------------------------+
 *  |  version = 1  |   codec id    |          reserved (0)         |  4
 *  +---------------+---------------+-------------------------------+
 *  |                           layout id                           |  8
 *  +---------------------------------------------------------------+
 *  |                payload length (decoded bytes)                 | 12
 *  +---------------------------------------------------------------+
 *  |               stored length (bytes after header)              | 16
 *  +---------------------------------------------------------------+
 *  |                CRC32C of the decoded payload                  | 20
 *  +---------------------------------------------------------------+
 *  |                    block key (32 bytes)                       | 24
 *  |                             ...                               |
 *  +---------------------------------------------------------------+
 *  |                 CRC32C of header bytes 0..55                  | 56
 *  +---------------------------------------------------------------+
 *  |                stored payload (stored length bytes)           | 60
 *  |                             ...                               |
 * </pre>
 *
 * <p>A record is served only if every check passes: magic, version, header CRC, the key (a record written under
 * another key is a misdirected write), layout id and length equal to the block's metadata, stored length equal
 * to what follows the header, a known codec that decodes to exactly the payload length, and the payload's
 * CRC32C equal to both the header's and the metadata's. Anything else is corrupt.
 */
public final class RecordDescriptor {

    /** "KVB1". */
    public static final int MAGIC = 0x4B564231;
    /** Current layout version. */
    public static final byte VERSION = 1;
    /** Header length in bytes. */
    public static final int HEADER_LENGTH = 60;

    static final int CODEC_OFFSET = 5;
    static final int LAYOUT_OFFSET = 8;
    static final int LENGTH_OFFSET = 12;
    static final int STORED_LENGTH_OFFSET = 16;
    static final int CRC_OFFSET = 20;
    static final int KEY_OFFSET = 24;
    static final int HEADER_CRC_OFFSET = 56;

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
        h.putInt(HEADER_CRC_OFFSET, headerCrc(h));
        h.position(0).limit(HEADER_LENGTH + stored);
        return used;
    }

    private static int headerCrc(ByteBuffer record) {
        return Checksums.crc32c(record.duplicate().position(0).limit(HEADER_CRC_OFFSET));
    }

    /**
     * Verifies and decodes a record (index 0 to limit of {@code record}) read for {@code meta}. Returns the
     * payload (a read-only-able view into {@code record} for {@link Codec#NONE}, a new heap buffer otherwise), or
     * null if any check fails.
     */
    public static ByteBuffer decode(ByteBuffer record, BlockMeta meta) {
        if (record == null || record.limit() < HEADER_LENGTH) {
            return null;
        }
        ByteBuffer h = record.duplicate().order(ByteOrder.BIG_ENDIAN);
        if (h.getInt(0) != MAGIC || h.get(4) != VERSION || h.getInt(HEADER_CRC_OFFSET) != headerCrc(h)) {
            return null;
        }
        Codec codec = Codec.byId(h.get(CODEC_OFFSET));
        int len = h.getInt(LENGTH_OFFSET);
        int stored = h.getInt(STORED_LENGTH_OFFSET);
        int crc = h.getInt(CRC_OFFSET);
        h.position(KEY_OFFSET);
        BlockKey key = BlockKey.read(h);
        if (codec == null || !key.equals(meta.key()) || h.getInt(LAYOUT_OFFSET) != meta.layoutId()
                || len != meta.length() || crc != meta.crc32c() || stored != record.limit() - HEADER_LENGTH) {
            return null;
        }
        ByteBuffer payload;
        if (codec == Codec.NONE) {
            if (stored != len) {
                return null;
            }
            payload = record.duplicate().position(HEADER_LENGTH).limit(HEADER_LENGTH + len).slice();
        } else {
            byte[] plain = codec.decode(record, HEADER_LENGTH, stored, len);
            if (plain == null) {
                return null;
            }
            payload = ByteBuffer.wrap(plain);
        }
        return Checksums.crc32c(payload) == crc ? payload : null;
    }
}
