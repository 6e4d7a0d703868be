package io.kvstore.bench.nvme;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Synthetic KV-cache payloads for the codec and disk benchmarks. Real K/V tensors are fp16/bf16 activations
 * whose values are roughly normal around 0 with a magnitude that differs per channel (head dimension); these
 * generators model that, and random bytes model already-compressed or quantized data.
 */
public enum KvPayloads {
    /** bf16 values drawn from N(0, 1), little-endian. */
    BF16_NORMAL,
    /** bf16 values N(0, s_c) where each of 128 channels has its own scale s_c = exp(N(0, 1)) (outlier channels). */
    BF16_CHANNEL_SCALED,
    /** fp16 values drawn from N(0, 1), little-endian. */
    FP16_NORMAL,
    /** Uniformly random bytes (incompressible). */
    RANDOM;

    /** A payload of {@code bytes} bytes from {@code seed}; position 0, limit bytes. */
    public ByteBuffer generate(long seed, int bytes) {
        SplittableRandom r = new SplittableRandom(seed);
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case RANDOM -> r.nextBytes(b.array());
            case BF16_NORMAL -> {
                while (b.remaining() >= 2) {
                    b.putShort(bf16((float) gaussian(r)));
                }
            }
            case BF16_CHANNEL_SCALED -> {
                double[] scale = new double[128];
                for (int c = 0; c < scale.length; c++) {
                    scale[c] = Math.exp(gaussian(r));
                }
                for (int i = 0; b.remaining() >= 2; i++) {
                    b.putShort(bf16((float) (gaussian(r) * scale[i % scale.length])));
                }
            }
            case FP16_NORMAL -> {
                while (b.remaining() >= 2) {
                    b.putShort(Float16.fromFloat((float) gaussian(r)));
                }
            }
            default -> throw new AssertionError(this);
        }
        return b.clear().order(ByteOrder.BIG_ENDIAN);
    }

    private static short bf16(float f) {
        return (short) (Float.floatToRawIntBits(f) >>> 16);
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** IEEE half precision conversion (round toward zero; Java 17 has no Float.floatToFloat16). */
    static final class Float16 {
        private Float16() {
        }

        static short fromFloat(float f) {
            int bits = Float.floatToRawIntBits(f);
            int sign = (bits >>> 16) & 0x8000;
            int exp = ((bits >>> 23) & 0xff) - 127 + 15;
            int mant = bits & 0x7fffff;
            if (exp <= 0) {
                return (short) sign; // subnormals flushed to zero: rare for N(0, 1)
            }
            if (exp >= 31) {
                return (short) (sign | 0x7c00);
            }
            return (short) (sign | (exp << 10) | (mant >>> 13));
        }
    }
}
