package io.kvstore.tier.remote;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.BlockMetaDescriptor;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Layout of one block in Redis. A block is {@code 1 + n} keys in one hash slot: a header under
 * {@code <prefix>:{<keyhex>}:meta} and the payload split in {@code n = ceil(length / pieceBytes)} pieces under
 * {@code <prefix>:{<keyhex>}:0 .. n-1}. The braces are a Redis Cluster hash tag: only the 64 hex digits of the
 * block key are hashed, so the header and every piece land on the same shard and one multi-key command reads or
 * deletes them. Presence of the header key is what "the block is in the shared tier" means; it is written last
 * and deleted first.
 *
 * <pre>
 * Header value (big-endian), 116 bytes:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic 'K' 'V' 'R' 'B'                     |  0
 *  +---------------+---------------+-------------------------------+
 *  |  version = 1  |   flags = 0   |          reserved = 0         |  4
 *  +---------------+---------------+-------------------------------+
 *  |                      block key (32 bytes)                     |  8
 *  |                     parent key (32 bytes)                     | 40
 *  +---------------------------------------------------------------+
 *  |                         position (i32)                        | 72
 *  |                      namespace id (i64)                       | 76
 *  |                        layout id (i32)                        | 84
 *  |                    payload length (i32)                       | 88
 *  |                  payload CRC32C (i32)                         | 92
 *  |                     piece bytes (i32)                         | 96
 *  |                     piece count (i32)                         | 100
 *  |               written at, epoch millis (i64)                  | 104
 *  |           header CRC32C of bytes 0..111 (i32)                 | 112
 *  +---------------------------------------------------------------+
 * </pre>
 * Bytes 40 to 95 (parent key to payload CRC32C) are the shared encoding of a block's metadata,
 * {@link BlockMetaDescriptor}. Pieces are raw payload bytes; every piece but the last is exactly {@code pieceBytes}
 * long. The payload CRC32C covers the whole payload and is verified after the pieces are assembled.
 */
final class BlockRecordDescriptor {

    static final int MAGIC = 0x4b565242; // "KVRB"
    static final byte VERSION = 1;
    static final int HEADER_BYTES = 116;
    private static final int CRC_OFFSET = 112;
    private static final HexFormat HEX = HexFormat.of();

    private BlockRecordDescriptor() {
    }

    /** A decoded header: the block's metadata and how its payload is cut. */
    record Header(BlockMeta meta, int pieceBytes, int pieceCount, long writtenAtMillis) {
    }

    static int pieceCount(int length, int pieceBytes) {
        return length == 0 ? 0 : (length + pieceBytes - 1) / pieceBytes;
    }

    static byte[] encode(BlockMeta m, int pieceBytes, long nowMillis) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        b.putInt(MAGIC).put(VERSION).put((byte) 0).putShort((short) 0);
        m.key().writeTo(b);
        BlockMetaDescriptor.write(b, m);
        b.putInt(pieceBytes).putInt(pieceCount(m.length(), pieceBytes)).putLong(nowMillis);
        b.putInt(Checksums.crc32c(b.array(), 0, CRC_OFFSET));
        return b.array();
    }

    /**
     * Decodes a header read under {@code expected}'s meta key; null if it is damaged or not ours (wrong size,
     * magic, version, checksum, key, or inconsistent piece fields).
     */
    static Header decode(byte[] v, BlockKey expected) {
        if (v == null || v.length != HEADER_BYTES || Checksums.crc32c(v, 0, CRC_OFFSET)
                != ByteBuffer.wrap(v, CRC_OFFSET, 4).getInt()) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(v);
        if (b.getInt() != MAGIC || b.get() != VERSION) {
            return null;
        }
        b.position(8);
        BlockKey key = BlockKey.read(b);
        BlockMeta meta = BlockMetaDescriptor.read(b, key);
        int pieceBytes = b.getInt();
        int pieces = b.getInt();
        long at = b.getLong();
        if (meta == null || !key.equals(expected) || pieceBytes < 1
                || pieces != pieceCount(meta.length(), pieceBytes)) {
            return null;
        }
        return new Header(meta, pieceBytes, pieces, at);
    }

    /** {@code <prefix>:{<keyhex>}:} — every key of a block starts with it. */
    static String keyBase(String prefix, BlockKey key) {
        return prefix + ":{" + key.toHex() + "}:";
    }

    static byte[] metaKey(String prefix, BlockKey key) {
        return (keyBase(prefix, key) + "meta").getBytes(StandardCharsets.US_ASCII);
    }

    static byte[][] pieceKeys(String prefix, BlockKey key, int pieces) {
        String base = keyBase(prefix, key);
        byte[][] out = new byte[pieces][];
        for (int i = 0; i < pieces; i++) {
            out[i] = (base + i).getBytes(StandardCharsets.US_ASCII);
        }
        return out;
    }

    /** The glob that matches every header key under {@code prefix}. */
    static String metaPattern(String prefix) {
        return prefix + ":{*}:meta";
    }

    /** The block key named by a header key, or null if the name is not one of ours. */
    static BlockKey keyOfMetaKey(String prefix, byte[] redisKey) {
        String s = new String(redisKey, StandardCharsets.US_ASCII);
        String head = prefix + ":{";
        if (s.length() != head.length() + 64 + ":meta".length() + 1 || !s.startsWith(head) || !s.endsWith("}:meta")) {
            return null;
        }
        String hex = s.substring(head.length(), head.length() + 64);
        try {
            HEX.parseHex(hex);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return BlockKey.fromHex(hex);
    }
}
