package io.kvstore.core.key;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * A 32-byte block id: the chained SHA-256 of a block's tokens and everything before it (see
 * docs/hashing.md). One key names a block and its whole prefix. Immutable; equality is by value.
 *
 * <p>Stored as four longs (big-endian order of the 32 bytes) so that equality and hashing cost no array
 * walks; the hash code is taken from the first bytes, which are uniformly distributed for SHA-256 output.
 */
public final class BlockKey implements Comparable<BlockKey> {

    /** Length of a key in bytes. */
    public static final int BYTES = 32;

    private static final HexFormat HEX = HexFormat.of();

    private final long w0;
    private final long w1;
    private final long w2;
    private final long w3;

    private BlockKey(long w0, long w1, long w2, long w3) {
        this.w0 = w0;
        this.w1 = w1;
        this.w2 = w2;
        this.w3 = w3;
    }

    /** Key from 32 bytes. */
    public static BlockKey of(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a block key is 32 bytes, got " + bytes.length);
        }
        return read(ByteBuffer.wrap(bytes));
    }

    /** Reads 32 bytes at the buffer's position and advances it. */
    public static BlockKey read(ByteBuffer buf) {
        if (buf.remaining() < BYTES) {
            throw new IllegalArgumentException("need 32 bytes for a block key, have " + buf.remaining());
        }
        ByteBuffer b = buf.order() == java.nio.ByteOrder.BIG_ENDIAN ? buf : buf.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
        long a = b.getLong();
        long c = b.getLong();
        long d = b.getLong();
        long e = b.getLong();
        if (b != buf) {
            buf.position(buf.position() + BYTES);
        }
        return new BlockKey(a, c, d, e);
    }

    /** Key from 64 hex digits. */
    public static BlockKey fromHex(String hex) {
        if (hex == null || hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("a block key is 64 hex digits, got "
                    + (hex == null ? "null" : hex.length() + " characters"));
        }
        try {
            return of(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a hex block key: " + hex, e);
        }
    }

    /**
     * A synthetic key whose first 16 bytes are {@code hi, lo} and the rest zero. For simulators and tests that
     * replay traces whose block ids are integers; never produced by {@link PrefixHasher}.
     */
    public static BlockKey synthetic(long hi, long lo) {
        return new BlockKey(hi, lo, 0, 0);
    }

    /** The key's 32 bytes. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        writeTo(b);
        return b.array();
    }

    /** Writes the 32 bytes at the buffer's position and advances it. */
    public void writeTo(ByteBuffer buf) {
        if (buf.order() == java.nio.ByteOrder.BIG_ENDIAN) {
            buf.putLong(w0).putLong(w1).putLong(w2).putLong(w3);
        } else {
            buf.putLong(Long.reverseBytes(w0)).putLong(Long.reverseBytes(w1))
                    .putLong(Long.reverseBytes(w2)).putLong(Long.reverseBytes(w3));
        }
    }

    /** First 8 bytes as a big-endian long. */
    public long prefixLong() {
        return w0;
    }

    /** Second 8 bytes as a big-endian long. */
    public long secondLong() {
        return w1;
    }

    /** 64 lower-case hex digits. */
    public String toHex() {
        return HEX.toHexDigits(w0) + HEX.toHexDigits(w1) + HEX.toHexDigits(w2) + HEX.toHexDigits(w3);
    }

    /** The first 12 hex digits, for logs and tables. */
    public String shortHex() {
        return toHex().substring(0, 12);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockKey k && k.w0 == w0 && k.w1 == w1 && k.w2 == w2 && k.w3 == w3;
    }

    @Override
    public int hashCode() {
        return (int) (w0 ^ (w0 >>> 32) ^ w1);
    }

    @Override
    public int compareTo(BlockKey o) {
        int c = Long.compareUnsigned(w0, o.w0);
        if (c == 0) {
            c = Long.compareUnsigned(w1, o.w1);
        }
        if (c == 0) {
            c = Long.compareUnsigned(w2, o.w2);
        }
        return c != 0 ? c : Long.compareUnsigned(w3, o.w3);
    }

    @Override
    public String toString() {
        return toHex();
    }
}
