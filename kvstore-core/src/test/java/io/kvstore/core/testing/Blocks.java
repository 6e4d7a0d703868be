package io.kvstore.core.testing;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/** Test fixtures: blocks with deterministic payloads. Shipped in the core test-jar for the tier modules. */
public final class Blocks {

    /** Namespace id used by fixtures unless a test says otherwise. */
    public static final long NS = 0x1234_5678_9abc_def0L;

    private Blocks() {
    }

    /** A key derived from a number. */
    public static BlockKey key(long n) {
        return BlockKey.synthetic(0x6b76_7374_6f72_6500L, n);
    }

    /** A payload of {@code size} bytes determined by {@code seed}. */
    public static ByteBuffer payload(long seed, int size) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    /** Metadata for block {@code n} of a chain, with a payload from {@link #payload(long, int)}. */
    public static BlockMeta meta(long n, int size) {
        return meta(NS, n, size);
    }

    /** Metadata for block {@code n} in namespace {@code ns}. */
    public static BlockMeta meta(long ns, long n, int size) {
        return new BlockMeta(key(n), n == 0 ? key(-1) : key(n - 1), (int) Math.min(Integer.MAX_VALUE, n), ns, 7,
                size, Checksums.crc32c(payload(n, size)));
    }
}
