package io.kvstore.core.block;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C of payloads (hardware-accelerated by the JDK's intrinsic). */
public final class Checksums {

    private Checksums() {
    }

    /** CRC32C of the bytes between position and limit; the buffer's position is not changed. */
    public static int crc32c(ByteBuffer payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload.duplicate());
        return (int) crc.getValue();
    }

    /** CRC32C of a byte array range. */
    public static int crc32c(byte[] bytes, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, off, len);
        return (int) crc.getValue();
    }

    /** True if the payload's length and CRC32C match the metadata. */
    public static boolean matches(BlockMeta meta, ByteBuffer payload) {
        return payload.remaining() == meta.length() && crc32c(payload) == meta.crc32c();
    }
}
