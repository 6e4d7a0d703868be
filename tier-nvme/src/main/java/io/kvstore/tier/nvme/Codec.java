package io.kvstore.tier.nvme;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;

/**
 * How a payload is encoded on disk. The id is written into every record header ({@link RecordDescriptor}), so
 * ids are permanent: never renumber, only add.
 *
 * <ul>
 *   <li>{@link #NONE}: the payload as is.</li>
 *   <li>{@link #LZ4}: LZ4 block compression (lz4-java's fastest instance, JNI; decoded with the safe
 *       decompressor, so a damaged record can never write outside its buffer).</li>
 *   <li>{@link #SHUFFLE2_LZ4}: a byte shuffle for 2-byte elements (fp16/bf16: all high bytes, then all low
 *       bytes) followed by LZ4. The high bytes of KV activations (sign and exponent) repeat a lot; the low bytes
 *       (mantissa) are close to random.</li>
 * </ul>
 *
 * <p>An encoder that does not save at least {@link #MIN_SAVING_DIVISOR 1/16} of the payload gives up and the
 * record is stored with {@link #NONE}: incompressible data costs one compression attempt, never a larger record
 * or a decompression on read.
 *
 * <p>Thread-safety: stateless; all methods may be called concurrently.
 */
public enum Codec {
    NONE(0),
    LZ4(1),
    SHUFFLE2_LZ4(2);

    /** A compressed payload must be at most {@code length - length / 16} bytes to be kept. */
    public static final int MIN_SAVING_DIVISOR = 16;

    private static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
    private static final LZ4Compressor COMPRESSOR = FACTORY.fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = FACTORY.safeDecompressor();

    private final byte id;

    Codec(int id) {
        this.id = (byte) id;
    }

    /** The id written into record headers. */
    public byte id() {
        return id;
    }

    /** The codec with this id, or null if the id is unknown (a damaged or future record). */
    public static Codec byId(int id) {
        for (Codec c : values()) {
            if (c.id == id) {
                return c;
            }
        }
        return null;
    }

    /** Upper bound of {@link #encode} output for a payload of {@code length} bytes. */
    public int maxEncodedLength(int length) {
        return this == NONE ? length : COMPRESSOR.maxCompressedLength(length);
    }

    /**
     * Encodes {@code src} (position to limit; position unchanged) into {@code dst} at absolute index
     * {@code dstOff}, which must leave room for {@link #maxEncodedLength}; {@code dst}'s position and limit are
     * not changed. Returns the encoded length, or -1 if the encoding does not pay (the caller then stores the
     * payload with {@link #NONE}).
     */
    public int encode(ByteBuffer src, ByteBuffer dst, int dstOff) {
        int len = src.remaining();
        switch (this) {
            case NONE -> {
                dst.put(dstOff, src, src.position(), len);
                return len;
            }
            case LZ4 -> {
                int n = COMPRESSOR.compress(src, src.position(), len, dst, dstOff, dst.capacity() - dstOff);
                return pays(n, len) ? n : -1;
            }
            case SHUFFLE2_LZ4 -> {
                byte[] shuffled = new byte[len];
                shuffle2(src, shuffled);
                int n = COMPRESSOR.compress(ByteBuffer.wrap(shuffled), 0, len, dst, dstOff, dst.capacity() - dstOff);
                return pays(n, len) ? n : -1;
            }
            default -> throw new AssertionError(this);
        }
    }

    /**
     * Decodes {@code storedLength} bytes of {@code src} at absolute index {@code off} into a new array of exactly
     * {@code length} bytes, or returns null if they do not decode to that length (damaged input). Not used for
     * {@link #NONE}, whose payload is served in place.
     */
    public byte[] decode(ByteBuffer src, int off, int storedLength, int length) {
        byte[] out = new byte[length];
        try {
            int n = DECOMPRESSOR.decompress(src, off, storedLength, ByteBuffer.wrap(out), 0, length);
            if (n != length) {
                return null;
            }
        } catch (LZ4Exception | IndexOutOfBoundsException e) {
            return null;
        }
        if (this == SHUFFLE2_LZ4) {
            byte[] plain = new byte[length];
            unshuffle2(out, plain);
            return plain;
        }
        return out;
    }

    private static boolean pays(int encoded, int length) {
        return encoded <= length - length / MIN_SAVING_DIVISOR;
    }

    /** Byte 0 of every 2-byte element, then byte 1 of every element (for little-endian fp16/bf16: low, then high). */
    static void shuffle2(ByteBuffer src, byte[] dst) {
        int len = src.remaining();
        int half = len / 2;
        int p = src.position();
        if (src.hasArray()) {
            byte[] a = src.array();
            int base = src.arrayOffset() + p;
            for (int i = 0; i < half; i++) {
                dst[i] = a[base + 2 * i];
                dst[half + i] = a[base + 2 * i + 1];
            }
            if ((len & 1) != 0) {
                dst[len - 1] = a[base + len - 1];
            }
        } else {
            for (int i = 0; i < half; i++) {
                dst[i] = src.get(p + 2 * i);
                dst[half + i] = src.get(p + 2 * i + 1);
            }
            if ((len & 1) != 0) {
                dst[len - 1] = src.get(p + len - 1);
            }
        }
    }

    static void unshuffle2(byte[] src, byte[] dst) {
        int len = src.length;
        int half = len / 2;
        for (int i = 0; i < half; i++) {
            dst[2 * i] = src[i];
            dst[2 * i + 1] = src[half + i];
        }
        if ((len & 1) != 0) {
            dst[len - 1] = src[len - 1];
        }
    }
}
