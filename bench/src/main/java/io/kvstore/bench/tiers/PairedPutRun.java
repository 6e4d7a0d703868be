package io.kvstore.bench.tiers;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.tier.dram.DramTier;
import io.kvstore.tier.dram.DramTierConfig;

import java.nio.ByteBuffer;

/**
 * Put against memcpy, interleaved: short rounds of plain copies and of DRAM-tier puts alternate (in alternating
 * order) in one JVM, so both see the same machine load, and the report is the median of the per-round figures.
 * On a shared, noisy machine this pairs each put measurement with a baseline taken moments apart, which separate
 * JMH forks cannot. Single-threaded; the same copy and put as {@link DramTierBenchmark}.
 */
final class PairedPutRun {

    private static final long BYTES_PER_ROUND = 256L << 20;
    private static final int WARMUP_ROUNDS = 5;

    /** Medians over the measured rounds. */
    record Result(int size, int rounds, double memcpyGbps, double putGbps, double medianRatio) {
    }

    private PairedPutRun() {
    }

    static Result run(int size, int rounds, String arena) {
        int ops = (int) Math.max(4, BYTES_PER_ROUND / size);
        ByteBuffer src = ByteBuffer.allocateDirect(size);
        ByteBuffer dst = ByteBuffer.allocateDirect(size);
        DramTierBenchmark.fill(src, 7);
        BlockKey key = BlockKey.synthetic(0x7061697265L, 1);
        BlockMeta meta = DramTierBenchmark.meta(key, size);
        double[] copy = new double[rounds];
        double[] put = new double[rounds];
        double[] ratio = new double[rounds];
        try (DramTierBenchmark.Arena a = DramTierBenchmark.Arena.open(arena,
                DramTierConfig.of("paired", (long) size * 4, DramTierConfig.DEFAULT_PAGE_SIZE))) {
            DramTier tier = a.tier();
            for (int r = -WARMUP_ROUNDS; r < rounds; r++) {
                double c;
                double p;
                if ((r & 1) == 0) {
                    c = copyRound(src, dst, size, ops);
                    p = putRound(tier, meta, src, size, ops);
                } else {
                    p = putRound(tier, meta, src, size, ops);
                    c = copyRound(src, dst, size, ops);
                }
                if (r >= 0) {
                    copy[r] = c;
                    put[r] = p;
                    ratio[r] = p / c;
                }
            }
        }
        return new Result(size, rounds, median(copy), median(put), median(ratio));
    }

    private static double copyRound(ByteBuffer src, ByteBuffer dst, int size, int ops) {
        long t0 = System.nanoTime();
        for (int i = 0; i < ops; i++) {
            dst.put(0, src, 0, size);
        }
        return (double) size * ops / (System.nanoTime() - t0);
    }

    private static double putRound(DramTier tier, BlockMeta meta, ByteBuffer src, int size, int ops) {
        long t0 = System.nanoTime();
        for (int i = 0; i < ops; i++) {
            PutOutcome o = tier.put(meta, src);
            if (o != PutOutcome.STORED || !tier.remove(meta.key())) {
                throw new IllegalStateException("put answered " + o);
            }
        }
        return (double) size * ops / (System.nanoTime() - t0);
    }

    private static double median(double[] v) {
        return io.kvstore.bench.Medians.of(v);
    }
}
