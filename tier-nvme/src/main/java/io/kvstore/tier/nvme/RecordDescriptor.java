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

    /**
     * Encodes a record: header plus {@code payload} (position to limit; unchanged) encoded with {@code codec}, or
     * with {@link Codec#NONE} if the codec does not pay. Returns an array of exactly the record's length.
     */
    public static byte[] encode(BlockMeta meta, ByteBuffer payload, Codec codec) {
        int len = payload.remaining();
        Codec used = codec;
        byte[] rec = new byte[HEADER_LENGTH + codec.maxEncodedLength(len)];
        int stored = codec.encode(payload, rec, HEADER_LENGTH);
        if (stored < 0) {
            used = Codec.NONE;
            if (rec.length != HEADER_LENGTH + len) {
                rec = new byte[HEADER_LENGTH + len];
            }
            stored = Codec.NONE.encode(payload, rec, HEADER_LENGTH);
        } else if (rec.length != HEADER_LENGTH + stored) {
            rec = java.util.Arrays.copyOf(rec, HEADER_LENGTH + stored);
        }
        ByteBuffer h = ByteBuffer.wrap(rec).order(ByteOrder.BIG_ENDIAN);
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
        h.putInt(HEADER_CRC_OFFSET, Checksums.crc32c(rec, 0, HEADER_CRC_OFFSET));
        return rec;
    }

    /** The codec a valid record was stored with (call after {@link #decode} succeeded). */
    public static Codec codecOf(byte[] record) {
        return Codec.byId(record[CODEC_OFFSET]);
    }

    /**
     * Verifies and decodes a record read for {@code meta}. Returns the payload (a view into {@code record} for
     * {@link Codec#NONE}, a new array otherwise), or null if any check fails.
     */
    public static ByteBuffer decode(byte[] record, BlockMeta meta) {
        if (record == null || record.length < HEADER_LENGTH) {
            return null;
        }
        ByteBuffer h = ByteBuffer.wrap(record).order(ByteOrder.BIG_ENDIAN);
        if (h.getInt(0) != MAGIC || h.get(4) != VERSION
                || h.getInt(HEADER_CRC_OFFSET) != Checksums.crc32c(record, 0, HEADER_CRC_OFFSET)) {
            return null;
        }
        Codec codec = Codec.byId(h.get(CODEC_OFFSET));
        int len = h.getInt(LENGTH_OFFSET);
        int stored = h.getInt(STORED_LENGTH_OFFSET);
        int crc = h.getInt(CRC_OFFSET);
        h.position(KEY_OFFSET);
        BlockKey key = BlockKey.read(h);
        if (codec == null || !key.equals(meta.key()) || h.getInt(LAYOUT_OFFSET) != meta.layoutId()
                || len != meta.length() || crc != meta.crc32c() || stored != record.length - HEADER_LENGTH) {
            return null;
        }
        ByteBuffer payload;
        if (codec == Codec.NONE) {
            if (stored != len) {
                return null;
            }
            payload = ByteBuffer.wrap(record, HEADER_LENGTH, len).slice();
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
