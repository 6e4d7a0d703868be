package io.kvstore.bench.nvme;

import com.sun.nio.file.ExtendedOpenOption;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The raw-disk baseline: one file written and read sequentially in blocks with O_DIRECT (no page cache), one
 * thread, one outstanding I/O — what {@code dd bs=2M oflag=direct} / {@code iflag=direct} does, from Java.
 * Falls back to buffered I/O plus fsync if the filesystem refuses O_DIRECT (then reads may hit the page cache,
 * which {@link #direct} reports).
 */
public final class RawDisk {

    private static final int ALIGN = 4096;

    /** True if the file is read and written with O_DIRECT (else buffered, plus fsync). */
    public final boolean direct;
    private final Path file;
    private final int block;
    private final long blocks;

    public RawDisk(Path file, int block, long blocks) {
        this.file = file;
        this.block = block;
        this.blocks = blocks;
        this.direct = supportsDirect(file);
    }

    private static boolean supportsDirect(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                ExtendedOpenOption.DIRECT)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private FileChannel open(OpenOption... opts) throws IOException {
        List<OpenOption> o = new java.util.ArrayList<>(List.of(opts));
        if (direct) {
            o.add(ExtendedOpenOption.DIRECT);
        }
        return FileChannel.open(file, o.toArray(new OpenOption[0]));
    }

    private ByteBuffer buffer(long seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(block + ALIGN).alignedSlice(ALIGN);
        b.limit(block);
        byte[] bytes = new byte[block];
        new SplittableRandom(seed).nextBytes(bytes);
        b.put(bytes).flip();
        return b;
    }

    /** Writes the file sequentially and fsyncs; returns seconds. */
    public double write() throws IOException {
        ByteBuffer b = buffer(1);
        return timedWrite(i -> b.clear().limit(block));
    }

    /**
     * {@link #write()}, but each block from its own place in one buffer of the whole file's size, filled before the
     * clock starts: the bytes a store writes are its blocks, in distinct memory, never one buffer written again and
     * again. On a virtual machine whose host makes memory that is not hot slower to reach, this is the limit a
     * store's writes are held to (docs/bench-load.md, "Memory that is not hot"). Needs {@code blocks x block} bytes
     * of direct memory (at most 2 GiB); returns seconds.
     */
    public double writeFromDistinctMemory() throws IOException {
        long total = blocks * block;
        if (total > Integer.MAX_VALUE - ALIGN) {
            throw new IllegalArgumentException("at most 2 GiB from distinct memory, asked " + total + " bytes");
        }
        ByteBuffer all = ByteBuffer.allocateDirect((int) total + ALIGN).alignedSlice(ALIGN);
        byte[] bytes = new byte[block];
        SplittableRandom random = new SplittableRandom(3);
        for (long i = 0; i < blocks; i++) {
            random.nextBytes(bytes);
            all.put(bytes);
        }
        return timedWrite(i -> all.slice((int) (i * block), block));
    }

    /** Writes block {@code i} of the file from {@code source.apply(i)}, in order, and fsyncs; returns seconds. */
    private double timedWrite(java.util.function.LongFunction<ByteBuffer> source) throws IOException {
        try (FileChannel ch = open(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long t0 = System.nanoTime();
            for (long i = 0; i < blocks; i++) {
                ByteBuffer b = source.apply(i);
                long pos = i * block;
                while (b.hasRemaining()) {
                    pos += ch.write(b, pos);
                }
            }
            ch.force(true);
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** Reads every block once, sequentially or in a random order; returns seconds. */
    public double read(boolean random, long seed) throws IOException {
        ByteBuffer b = buffer(2);
        long[] order = order(random, seed);
        try (FileChannel ch = open(StandardOpenOption.READ)) {
            long t0 = System.nanoTime();
            for (long i : order) {
                readBlock(ch, b, i);
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /**
     * Reads every block once in order with {@code inFlight} reads outstanding ({@code inFlight} threads, each
     * taking the next block and reading it into its own buffer): the baseline of a reader that keeps that many
     * reads in flight, as the tier's {@code readAll} does. Returns seconds.
     */
    public double readSequential(int inFlight) throws IOException {
        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
        List<ByteBuffer> buffers = new java.util.ArrayList<>();
        for (int t = 0; t < inFlight; t++) {
            buffers.add(buffer(4 + t));
        }
        try (FileChannel ch = open(StandardOpenOption.READ)) {
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(inFlight);
            try {
                List<java.util.concurrent.Future<?>> parts = new java.util.ArrayList<>();
                long t0 = System.nanoTime();
                for (ByteBuffer b : buffers) {
                    parts.add(pool.submit(() -> {
                        for (long i; (i = next.getAndIncrement()) < blocks; ) {
                            readBlock(ch, b, i);
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : parts) {
                    f.get();
                }
                return (System.nanoTime() - t0) / 1e9;
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Random reads paired one for one with the tier's: block {@code order[k]} from the tier, then block
     * {@code order[k]} from this file, timed separately, so that both see the disk at the same moment (a virtual
     * disk's speed drifts by up to 2x between phases). Returns {tier seconds, raw seconds}.
     */
    double[] pairedRandomRead(long seed, java.util.function.LongConsumer tierRead) throws IOException {
        ByteBuffer b = buffer(3);
        long[] order = order(true, seed);
        long tier = 0;
        long raw = 0;
        try (FileChannel ch = open(StandardOpenOption.READ)) {
            for (long i : order) {
                long t0 = System.nanoTime();
                tierRead.accept(i);
                long t1 = System.nanoTime();
                readBlock(ch, b, i);
                raw += System.nanoTime() - t1;
                tier += t1 - t0;
            }
        }
        return new double[] {tier / 1e9, raw / 1e9};
    }

    /** Reads block {@code i} into {@code b}. */
    private void readBlock(FileChannel ch, ByteBuffer b, long i) throws IOException {
        b.clear().limit(block);
        long pos = i * block;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new IOException("short file " + file);
            }
            pos += n;
        }
    }

    private long[] order(boolean random, long seed) {
        long[] o = new long[(int) blocks];
        for (int i = 0; i < o.length; i++) {
            o[i] = i;
        }
        if (random) {
            shuffle(o, seed);
        }
        return o;
    }

    static void shuffle(long[] a, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
