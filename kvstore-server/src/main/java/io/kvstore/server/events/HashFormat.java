package io.kvstore.server.events;

import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;

/** How a block key is written as a block hash in events and read back from queries. */
public enum HashFormat {
    /** vLLM's default: the low 64 bits of the key (its last 8 bytes) as a big-endian unsigned integer. */
    U64,
    /** The key's 32 raw bytes. */
    BYTES;

    /** The format named by the {@code kvEventsHashFormat} setting ({@code u64} or {@code bytes}). */
    public static HashFormat of(String setting) {
        return switch (setting) {
            case "u64" -> U64;
            case "bytes" -> BYTES;
            default -> throw new IllegalArgumentException("hash format must be u64 or bytes, was '" + setting + "'");
        };
    }

    /** The low 64 bits of a key (its bytes 24..31, big-endian), as vLLM's default block hash. */
    public static long low64(BlockKey key) {
        return ByteBuffer.wrap(key.toBytes()).getLong(BlockKey.BYTES - Long.BYTES);
    }
}
