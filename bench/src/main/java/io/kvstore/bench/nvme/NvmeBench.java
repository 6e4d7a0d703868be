package io.kvstore.bench.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.tier.nvme.Codec;
import io.kvstore.tier.nvme.NvmeTier;
import io.kvstore.tier.nvme.NvmeTierConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The short NVMe benchmark: sequential write, sequential read ({@code readAll} batches) and random reads of blocks
 * through an {@link NvmeTier}, next to the raw-disk bandwidth of the same filesystem ({@link RawDisk}: O_DIRECT,
 * same block size, same number of bytes) measured in the same run. Each figure is the median of
 * {@code runs} runs. Within a run each phase (write, sequential read, random read) runs on the raw file and on the
 * tier back to back, raw first in even runs and tier first in odd runs, so that both see the same machine state
 * (the disk of the machine this was written on drifts by up to 2x within a minute).
 *
 * <p>Page cache: the tier runs with {@code directIo} (its segment files opened with O_DIRECT, RocksDB's index with
 * {@code use_direct_reads} and {@code use_direct_io_for_flush_and_compaction}) and the baseline with O_DIRECT, so
 * neither reads from the page cache. Durability is counted alike: the tier's write time ends when
 * {@link NvmeTier#flush()} has fdatasynced the segment and flushed the index to disk, the baseline's after
 * {@code fsync}.
 * Throughput is GB/s = 10^9 bytes per second.
 *
 * <p>Entry point for the lead's {@code bench tiers}: {@link #run(Options)} then {@link Result#toMap()}, whose
 * keys include {@code nvme_write_gbps}, {@code nvme_read_gbps}, {@code disk_write_gbps} and
 * {@code disk_read_gbps}.
 */
public final class NvmeBench {

    private NvmeBench() {
    }

    /**
     * @param dir        a directory on the filesystem to measure (scratch files are created and deleted under it)
     * @param totalBytes bytes written per run
     * @param blockBytes block size (2 MiB for the headline figures)
     * @param runs       runs; figures are medians
     * @param codec      the tier's codec
     * @param data       what the payloads look like
     * @param batchKeys  keys per {@code readAll} call in the sequential read
     * @param dropCaches also write 3 to /proc/sys/vm/drop_caches before each read phase (needs root)
     */
    public record Options(Path dir, long totalBytes, int blockBytes, int runs, Codec codec, KvPayloads data,
                          int batchKeys, boolean dropCaches) {
        public Options {
            Objects.requireNonNull(dir, "dir");
            if (blockBytes < 4096 || blockBytes % 4096 != 0) {
                throw new IllegalArgumentException("blockBytes must be a positive multiple of 4096");
            }
            if (totalBytes < blockBytes || runs < 1 || batchKeys < 1) {
                throw new IllegalArgumentException("totalBytes >= blockBytes, runs >= 1 and batchKeys >= 1 needed");
            }
        }

        /** The short benchmark of {@code bench tiers}: 1 GiB of 2 MiB random-byte blocks, 3 runs, default codec. */
        public static Options shortRun(Path dir) {
            NvmeTierConfig d = NvmeTierConfig.builder(dir, 1).build();
            return new Options(dir, 1L << 30, 2 << 20, 3, d.codec(), KvPayloads.RANDOM, 16, false);
        }
    }

    /**
     * Medians, GB/s. {@code diskReadSameDepthGbps}: the raw sequential read with {@code readsInFlight} reads
     * outstanding, as many as the tier's {@code readAll} keeps in flight (its I/O threads, at most its batches per
     * call): the like-for-like baseline of the sequential read, where {@code diskReadGbps} has one read at a time.
     */
    public record Result(double nvmeWriteGbps, double nvmeReadGbps, double nvmeRandomReadGbps, double diskWriteGbps,
                         double diskReadGbps, double diskRandomReadGbps, int blockBytes, long bytes, int runs,
                         String codec, String data, boolean directIo, String pageCache,
                         double randomReadPairedRatio, double diskReadSameDepthGbps, int readsInFlight) {

        /** Sequential read against the raw disk read one block at a time (the tier has more in flight). */
        public double readRatio() {
            return nvmeReadGbps / diskReadGbps;
        }

        /** Sequential read against the raw disk with as many reads in flight as the tier: like with like. */
        public double readRatioSameDepth() {
            return nvmeReadGbps / diskReadSameDepthGbps;
        }

        public double randomReadRatio() {
            return nvmeRandomReadGbps / diskRandomReadGbps;
        }

        public double writeRatio() {
            return nvmeWriteGbps / diskWriteGbps;
        }

        /** Snake_case map for JSON reports. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("nvme_write_gbps", nvmeWriteGbps);
            m.put("nvme_read_gbps", nvmeReadGbps);
            m.put("nvme_random_read_gbps", nvmeRandomReadGbps);
            m.put("disk_write_gbps", diskWriteGbps);
            m.put("disk_read_gbps", diskReadGbps);
            m.put("disk_random_read_gbps", diskRandomReadGbps);
            m.put("nvme_write_ratio", writeRatio());
            m.put("nvme_read_ratio", readRatio());
            m.put("nvme_random_read_ratio", randomReadRatio());
            m.put("nvme_random_read_paired_ratio", randomReadPairedRatio);
            m.put("nvme_reads_in_flight", readsInFlight);
            m.put("disk_read_same_depth_gbps", diskReadSameDepthGbps);
            m.put("nvme_read_same_depth_ratio", readRatioSameDepth());
            m.put("nvme_block_bytes", blockBytes);
            m.put("nvme_bench_bytes", bytes);
            m.put("nvme_bench_runs", runs);
            m.put("nvme_codec", codec);
            m.put("nvme_data", data);
            m.put("nvme_direct_io", directIo);
            m.put("nvme_page_cache", pageCache);
            return m;
        }
    }

    /** Runs the benchmark. Progress goes to {@code log} (may be null). */
    public static Result run(Options o, java.io.PrintStream log) throws IOException {
        long blocks = o.totalBytes() / o.blockBytes();
        int n = o.runs();
        double[] dw = new double[n];
        double[] dr = new double[n];
        double[] drr = new double[n];
        double[] nw = new double[n];
        double[] nr = new double[n];
        double[] nrr = new double[n];
        double[] paired = new double[n];
        double[] drq = new double[n];
        int inFlight = 1;
        double bytes = (double) blocks * o.blockBytes();
        boolean direct = true;
        boolean diskDirect = true;
        Payloads payloads = new Payloads(o.data(), o.blockBytes());
        Files.createDirectories(o.dir());
        for (int run = 0; run < n; run++) {
            Path raw = o.dir().resolve("raw-disk-" + run + ".bin");
            Path db = o.dir().resolve("nvme-bench-" + run);
            deleteTree(db);
            NvmeTierConfig cfg = NvmeTierConfig.builder(db, 2 * o.totalBytes() + (64L << 20)).codec(o.codec())
                    .maxBatchKeys(o.batchKeys()).build();
            inFlight = readsInFlight(cfg, o);
            // each phase runs on the raw file and on the tier back to back, the raw file first in even runs and
            // the tier first in odd ones, so that both see the same state of a disk whose speed drifts
            boolean tierFirst = run % 2 == 1;
            long seed = run;
            try (NvmeTier tier = NvmeTier.open(cfg)) {
                RawDisk disk = new RawDisk(raw, o.blockBytes(), blocks);
                diskDirect &= disk.direct;
                direct &= tier.directIo();
                both(tierFirst, dw, nw, run, bytes, disk::write, () -> writeAll(tier, blocks, payloads));
                dropCaches(o);
                both(tierFirst, dr, nr, run, bytes, () -> disk.read(false, seed),
                        () -> readSequential(tier, blocks, o.batchKeys()));
                drq[run] = bytes / disk.readSequential(inFlight) / 1e9; // the same reads in flight as readAll
                both(tierFirst, drr, nrr, run, bytes, () -> disk.read(true, seed),
                        () -> readRandom(tier, blocks, seed));
                double[] tr = disk.pairedRandomRead(seed + 1000, i -> consume(tier.read(key(i))));
                paired[run] = tr[1] / tr[0]; // tier GB/s over raw GB/s for the same bytes
            } finally {
                Files.deleteIfExists(raw);
                deleteTree(db);
            }
            if (log != null) {
                log.printf("run %d: disk write %.3f read %.3f (%d in flight %.3f) random %.3f GB/s | nvme write %.3f"
                        + " read %.3f random %.3f GB/s | random paired per read %.2f%n", run + 1, dw[run], dr[run],
                        inFlight, drq[run], drr[run], nw[run], nr[run], nrr[run], paired[run]);
            }
        }
        String pageCache = (direct && diskDirect ? "bypassed: O_DIRECT (tier segment files and RocksDB index;"
                + " raw disk O_DIRECT)" : "NOT bypassed: filesystem refuses"
                + " O_DIRECT") + (o.dropCaches() ? "; drop_caches before reads" : "");
        return new Result(median(nw), median(nr), median(nrr), median(dw), median(dr), median(drr), o.blockBytes(),
                (long) bytes, n, o.codec().name().toLowerCase(), o.data().name().toLowerCase(), direct && diskDirect,
                pageCache, median(paired), median(drq), inFlight);
    }

    /**
     * Reads the tier's {@code readAll} keeps in flight in the sequential phase: one per batch of a call ({@code
     * batchKeys} keys cut at {@code maxBatchKeys} keys and {@code maxBatchBytes} bytes), at most its I/O threads.
     */
    static int readsInFlight(NvmeTierConfig cfg, Options o) {
        long perBatch = Math.max(1, Math.min(cfg.maxBatchKeys(), cfg.maxBatchBytes() / o.blockBytes()));
        long batches = (o.batchKeys() + perBatch - 1) / perBatch;
        return (int) Math.max(1, Math.min(cfg.ioThreads(), batches));
    }

    /** A measured phase; returns seconds. */
    private interface Phase {
        double seconds() throws IOException;
    }

    /** Runs a phase on the raw disk and on the tier, in the given order; stores GB/s of each for this run. */
    private static void both(boolean tierFirst, double[] disk, double[] nvme, int run, double bytes, Phase raw,
                             Phase tier) throws IOException {
        if (tierFirst) {
            nvme[run] = bytes / tier.seconds() / 1e9;
            disk[run] = bytes / raw.seconds() / 1e9;
        } else {
            disk[run] = bytes / raw.seconds() / 1e9;
            nvme[run] = bytes / tier.seconds() / 1e9;
        }
    }

    /** {@link #run(Options, java.io.PrintStream)} without progress output. */
    public static Result run(Options o) throws IOException {
        return run(o, null);
    }

    private static double writeAll(NvmeTier tier, long blocks, Payloads p) {
        long t0 = System.nanoTime();
        for (long i = 0; i < blocks; i++) {
            PutOutcome out = tier.put(p.meta(i), p.payload(i));
            if (out != PutOutcome.STORED) {
                throw new IllegalStateException("put " + i + ": " + out);
            }
        }
        tier.flush(); // segment fdatasynced and index flushed: on disk, like the baseline's fsync
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double readSequential(NvmeTier tier, long blocks, int batch) {
        long t0 = System.nanoTime();
        List<BlockKey> keys = new ArrayList<>(batch);
        for (long i = 0; i < blocks; i += batch) {
            keys.clear();
            for (long j = i; j < Math.min(blocks, i + batch); j++) {
                keys.add(key(j));
            }
            for (ReadResult r : tier.readAll(keys)) {
                consume(r);
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double readRandom(NvmeTier tier, long blocks, long seed) {
        long[] order = new long[(int) blocks];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        RawDisk.shuffle(order, seed);
        long t0 = System.nanoTime();
        for (long i : order) {
            consume(tier.read(key(i)));
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void consume(ReadResult r) {
        if (!r.isHit()) {
            throw new IllegalStateException("benchmark block not served: " + r.outcome());
        }
        r.handle().close(); // the tier verified length and CRC32C before answering
    }

    static BlockKey key(long i) {
        return BlockKey.synthetic(0x6e766d6562656e63L, i);
    }

    /** Whether /proc/sys/vm/drop_caches accepted the write (root only). */
    static boolean dropCaches(Options o) {
        if (!o.dropCaches()) {
            return false;
        }
        try {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static double median(double[] v) {
        return io.kvstore.bench.Medians.of(v);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    /** 16 distinct payloads reused round-robin, with their checksums. */
    private static final class Payloads {
        final ByteBuffer[] data = new ByteBuffer[16];
        final int[] crc = new int[16];

        Payloads(KvPayloads kind, int block) {
            for (int i = 0; i < data.length; i++) {
                data[i] = kind.generate(i + 100, block);
                crc[i] = Checksums.crc32c(data[i]);
            }
        }

        ByteBuffer payload(long i) {
            return data[(int) (i % data.length)];
        }

        BlockMeta meta(long i) {
            int k = (int) (i % data.length);
            return new BlockMeta(key(i), i == 0 ? key(-1) : key(i - 1), (int) i, 1, 1, data[k].remaining(), crc[k]);
        }
    }
}
