package io.kvstore.tier.nvme;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything the NVMe tier is sized from, validated once at construction. Units are in the names.
 *
 * @param name                 the tier's name in metrics and logs
 * @param directory            the tier's directory (created if missing): RocksDB's files (the index) and
 *                             {@code segments/} (the payloads)
 * @param capacityBytes        logical capacity: the sum of {@link NvmeTier#footprint} of the stored blocks
 * @param blockCacheBytes      LRU block cache for the index's SST blocks (payloads are not cached: hot payloads
 *                             belong to the DRAM tier)
 * @param writeBufferBytes     payload bytes written between index flushes, each with a checkpoint (without a WAL,
 *                             about how much log the next open scans after a crash); the index memtable is at
 *                             most 8 MiB
 * @param maxWriteBuffers      index memtables
 * @param backgroundJobs       RocksDB flush + compaction threads (index only)
 * @param segmentBytes         payload segment file size, the unit in which space comes back (oldest segment
 *                             first); the tier lowers it to capacity / 64, so that a reclaim drops at most 1/64
 *                             of the blocks
 * @param reinsertionShare     share of a reclaimed segment's bytes that may be rewritten to keep blocks read since
 *                             they were written (parents first), in [0, 0.5]; 0 drops them all
 * @param codec                payload codec (falls back to {@link Codec#NONE} per block when it does not pay)
 * @param walMode              write-ahead log policy
 * @param directIo             O_DIRECT for segment reads and writes and RocksDB's reads, flushes and compactions
 *                             (bypasses the page cache); turned off with a warning if the filesystem refuses it
 * @param ioThreads            threads of the bounded I/O pool that reads {@link NvmeTier#readAll}'s batches in parallel
 * @param ioQueue              queued batches the pool accepts before refusing (a refused one is read by the caller)
 * @param maxBatchKeys         keys per batch in {@link NvmeTier#readAll}
 * @param maxBatchBytes        payload bytes per batch (a batch holds at least one key)
 * @param bufferPoolBytes      idle direct buffers kept for reads and writes
 * @param backgroundReclaim    true: a thread of the tier reclaims segments as soon as the log passes its limit, and a
 *                             put reclaims only when that thread has fallen {@link Reclaimer#BACKPRESSURE_SEGMENTS}
 *                             behind; false: the puts that find the log past its limit reclaim (deterministic)
 * @param evictsItself         true: a put never answers NO_CAPACITY for lack of room, the segment reclaim alone makes
 *                             room ({@link NvmeTier#evictsItself}); false: puts past {@code capacityBytes} are
 *                             refused and the store evicts
 */
public record NvmeTierConfig(String name, Path directory, long capacityBytes, long blockCacheBytes,
                             long writeBufferBytes, int maxWriteBuffers, int backgroundJobs, long segmentBytes,
                             double reinsertionShare, Codec codec,
                             WalMode walMode, boolean directIo, int ioThreads, int ioQueue, int maxBatchKeys,
                             long maxBatchBytes, long bufferPoolBytes, boolean backgroundReclaim,
                             boolean evictsItself) {

    private static final long MIB = 1024L * 1024;

    public NvmeTierConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(walMode, "walMode");
        positive("capacityBytes", capacityBytes);
        positive("blockCacheBytes", blockCacheBytes);
        atLeast("writeBufferBytes", writeBufferBytes, MIB);
        atLeast("maxWriteBuffers", maxWriteBuffers, 2);
        positive("backgroundJobs", backgroundJobs);
        atLeast("segmentBytes", segmentBytes, MIB);
        if (!(reinsertionShare >= 0 && reinsertionShare <= 0.5)) {
            throw new IllegalArgumentException("reinsertionShare must be in [0, 0.5], was " + reinsertionShare);
        }
        positive("ioThreads", ioThreads);
        positive("ioQueue", ioQueue);
        positive("maxBatchKeys", maxBatchKeys);
        positive("maxBatchBytes", maxBatchBytes);
        if (bufferPoolBytes < 0) {
            throw new IllegalArgumentException("bufferPoolBytes must be >= 0, was " + bufferPoolBytes);
        }
    }

    /** Defaults for a tier of {@code capacityBytes} in {@code directory}. */
    public static Builder builder(Path directory, long capacityBytes) {
        return new Builder(directory, capacityBytes);
    }

    /** The segment size actually used: small enough that a capacity holds at least 64 segments. */
    public long effectiveSegmentBytes() {
        return Math.max(MIB, Math.min(segmentBytes, capacityBytes / 64));
    }

    /** Payload bytes between index flushes actually used: at most an eighth of the capacity. */
    public long effectiveWriteBufferBytes() {
        return Math.max(MIB, Math.min(writeBufferBytes, capacityBytes / 8));
    }

    private static void positive(String what, long v) {
        atLeast(what, v, 1);
    }

    private static void atLeast(String what, long v, long min) {
        if (v < min) {
            throw new IllegalArgumentException(what + " must be >= " + min + ", was " + v);
        }
    }

    /** Builder with the defaults documented in docs/tiers.md. Not thread-safe. */
    public static final class Builder {
        private String name = "nvme";
        private final Path directory;
        private final long capacityBytes;
        private long blockCacheBytes = 64 * MIB;
        private long writeBufferBytes = 64 * MIB;
        private int maxWriteBuffers = 2;
        private int backgroundJobs = 2;
        private long segmentBytes = 256 * MIB;
        private double reinsertionShare = 0.5;
        private Codec codec = Codec.NONE;
        private WalMode walMode = WalMode.DISABLED;
        private boolean directIo = true;
        private int ioThreads = 4;
        private int ioQueue = 256;
        private int maxBatchKeys = 16;
        private long maxBatchBytes = 4 * MIB;
        private long bufferPoolBytes = 64 * MIB;
        private boolean backgroundReclaim;
        private boolean evictsItself;

        private Builder(Path directory, long capacityBytes) {
            this.directory = directory;
            this.capacityBytes = capacityBytes;
        }

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder blockCacheBytes(long v) {
            blockCacheBytes = v;
            return this;
        }

        public Builder writeBufferBytes(long v) {
            writeBufferBytes = v;
            return this;
        }

        public Builder maxWriteBuffers(int v) {
            maxWriteBuffers = v;
            return this;
        }

        public Builder backgroundJobs(int v) {
            backgroundJobs = v;
            return this;
        }

        public Builder segmentBytes(long v) {
            segmentBytes = v;
            return this;
        }

        public Builder reinsertionShare(double v) {
            reinsertionShare = v;
            return this;
        }

        public Builder codec(Codec v) {
            codec = v;
            return this;
        }

        public Builder walMode(WalMode v) {
            walMode = v;
            return this;
        }

        public Builder directIo(boolean v) {
            directIo = v;
            return this;
        }

        public Builder ioThreads(int v) {
            ioThreads = v;
            return this;
        }

        public Builder ioQueue(int v) {
            ioQueue = v;
            return this;
        }

        public Builder maxBatchKeys(int v) {
            maxBatchKeys = v;
            return this;
        }

        public Builder maxBatchBytes(long v) {
            maxBatchBytes = v;
            return this;
        }

        public Builder bufferPoolBytes(long v) {
            bufferPoolBytes = v;
            return this;
        }

        /** Reclaim segments in a thread of the tier instead of in the puts (off by default). */
        public Builder backgroundReclaim(boolean v) {
            backgroundReclaim = v;
            return this;
        }

        /** Make room by the segment reclaim alone, never refusing a put for lack of room (off by default). */
        public Builder evictsItself(boolean v) {
            evictsItself = v;
            return this;
        }

        public NvmeTierConfig build() {
            return new NvmeTierConfig(name, directory, capacityBytes, blockCacheBytes, writeBufferBytes,
                    maxWriteBuffers, backgroundJobs, segmentBytes, reinsertionShare,
                    codec, walMode, directIo, ioThreads, ioQueue, maxBatchKeys, maxBatchBytes, bufferPoolBytes,
                    backgroundReclaim, evictsItself);
        }
    }
}
