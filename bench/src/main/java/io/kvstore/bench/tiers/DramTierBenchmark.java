package io.kvstore.bench.tiers;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.tier.dram.DramTier;
import io.kvstore.tier.dram.DramTierConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The DRAM tier's data path next to a plain copy of the same bytes between two direct buffers, in the same run:
 * {@code memcpy} (the baseline), {@code put} (allocate pages, one bulk copy, publish the index record; then
 * remove, so the tier never fills), and {@code get} (look up, reference the pages, hand out a read-only view,
 * close it; the payload is not touched, because a zero-copy get does not touch it). Throughput mode: JMH sums
 * operations over threads, so GB/s = ops/s x size.
 *
 * <p>Run from {@code ./kvstore bench tiers} or directly with JMH's main:
 * {@code java <kvstore JVM flags> -cp "bench/target/classes:bench/target/lib/*" org.openjdk.jmh.Main
 * DramTierBenchmark -t 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DramTierBenchmark {

    /** Block size in bytes: 256 KiB, 2 MiB, 32 MiB. */
    @Param({"262144", "2097152", "33554432"})
    public int size;

    /** Where the arena lives: {@code shm} (files in /dev/shm, the daemon's default) or {@code private}. */
    @Param({"shm"})
    public String arena;

    private static final long NS = 0x62656e6368L;
    private Arena opened;
    private DramTier tier;
    private BlockKey stored;

    @Setup(Level.Trial)
    public void open() {
        // room for one stored block plus one in-flight put per thread (up to 4 threads), with slack
        opened = Arena.open(arena, DramTierConfig.of("bench", (long) size * 8, DramTierConfig.DEFAULT_PAGE_SIZE));
        tier = opened.tier();
        stored = BlockKey.synthetic(NS, -1);
        ByteBuffer payload = ByteBuffer.allocateDirect(size);
        fill(payload, -1);
        if (tier.put(meta(stored, size), payload) != PutOutcome.STORED) {
            throw new IllegalStateException("could not store the block to read");
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        opened.close();
    }

    /** A DRAM tier in private memory, or in a fresh directory under /dev/shm removed again at close. */
    record Arena(DramTier tier, Path dir) implements AutoCloseable {

        static Arena open(String where, DramTierConfig config) {
            if (where.equals("private")) {
                return new Arena(DramTier.open(config), null);
            }
            try {
                Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "kvstore-bench-");
                Files.delete(dir); // the tier creates it owner-only
                return new Arena(DramTier.open(config.persistedTo(dir)), dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot put the arena in /dev/shm (use --dram-arena private)", e);
            }
        }

        @Override
        public void close() {
            tier.close();
            if (dir != null) {
                try {
                    DramTier.deleteIfUnused(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    /** Per-thread buffers and key. */
    @State(Scope.Thread)
    public static class Buffers {
        private static final AtomicInteger THREADS = new AtomicInteger();
        ByteBuffer src;
        ByteBuffer dst;
        BlockMeta meta;

        @Setup(Level.Trial)
        public void allocate(DramTierBenchmark b) {
            int id = THREADS.incrementAndGet();
            src = ByteBuffer.allocateDirect(b.size);
            dst = ByteBuffer.allocateDirect(b.size);
            fill(src, id);
            meta = meta(BlockKey.synthetic(NS, id), b.size);
        }
    }

    @Benchmark
    public ByteBuffer memcpy(Buffers t) {
        return t.dst.put(0, t.src, 0, size);
    }

    @Benchmark
    public PutOutcome put(Buffers t) {
        PutOutcome o = tier.put(t.meta, t.src);
        if (o != PutOutcome.STORED || !tier.remove(t.meta.key())) {
            throw new IllegalStateException("put answered " + o);
        }
        return o;
    }

    @Benchmark
    public void get(Blackhole bh) {
        ReadResult r = tier.read(stored);
        try (BlockHandle h = r.handle()) {
            bh.consume(h.payload());
        }
    }

    static BlockMeta meta(BlockKey key, int size) {
        return new BlockMeta(key, key, 0, NS, 1, size, 0);
    }

    static void fill(ByteBuffer b, long seed) {
        byte[] chunk = new byte[64 * 1024];
        new SplittableRandom(seed).nextBytes(chunk);
        for (int off = 0; off < b.capacity(); off += chunk.length) {
            b.put(off, chunk, 0, Math.min(chunk.length, b.capacity() - off));
        }
    }
}
