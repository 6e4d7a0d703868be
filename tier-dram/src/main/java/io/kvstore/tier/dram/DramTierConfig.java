package io.kvstore.tier.dram;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of a {@link DramTier}, validated once at construction.
 *
 * @param name                 the tier's name in stats and logs, e.g. {@code "dram"}
 * @param capacityBytes        byte capacity; rounded up to whole pages
 * @param pageSizeBytes        arena page size: a power of two between 4 KiB and 64 MiB. A block occupies
 *                             {@code ceil(length / pageSize)} contiguous pages (at least one)
 * @param segmentBytes         size of one arena segment (one direct buffer or one mapped file), a multiple of
 *                             the page size, at most 1 GiB. The largest block the tier stores is one segment
 * @param persistDirectory     null: the arena is anonymous direct memory and the index is in-process (nothing
 *                             survives the process). Otherwise the arena segments and the Chronicle Map index are
 *                             memory-mapped files in this directory (use tmpfs, e.g. {@code /dev/shm/...}),
 *                             reopened at the next start (warm restart)
 * @param restartVerification  when blocks found at a warm restart are checked against their CRC32C
 */
public record DramTierConfig(String name, long capacityBytes, int pageSizeBytes, int segmentBytes,
                             Path persistDirectory, RestartVerification restartVerification) {

    /** Default page size: 64 KiB (a 2 MiB block is 32 pages with no rounding loss). */
    public static final int DEFAULT_PAGE_SIZE = 64 * 1024;
    /** Largest segment: 1 GiB, safely below the 2 GiB limit of one {@code ByteBuffer}. */
    public static final int MAX_SEGMENT_BYTES = 1 << 30;
    private static final int MIN_PAGE_SIZE = 4 * 1024;
    private static final int MAX_PAGE_SIZE = 64 * 1024 * 1024;

    /** When the blocks of a warm restart are verified. */
    public enum RestartVerification {
        /** Each block is verified on its first read after the restart; the open costs index time only. */
        ON_FIRST_READ,
        /** Every block is verified while the tier opens; open reads every stored byte once. */
        AT_OPEN
    }

    public DramTierConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(restartVerification, "restartVerification");
        if (pageSizeBytes < MIN_PAGE_SIZE || pageSizeBytes > MAX_PAGE_SIZE || Integer.bitCount(pageSizeBytes) != 1) {
            throw new IllegalArgumentException(name + ": pageSizeBytes must be a power of two in [4 KiB, 64 MiB], was "
                    + pageSizeBytes);
        }
        if (capacityBytes < pageSizeBytes) {
            throw new IllegalArgumentException(name + ": capacityBytes must be at least one page (" + pageSizeBytes
                    + "), was " + capacityBytes);
        }
        if (segmentBytes < pageSizeBytes || segmentBytes > MAX_SEGMENT_BYTES || segmentBytes % pageSizeBytes != 0) {
            throw new IllegalArgumentException(name + ": segmentBytes must be a multiple of the page size ("
                    + pageSizeBytes + ") and at most 1 GiB, was " + segmentBytes);
        }
        long pages = (capacityBytes + pageSizeBytes - 1) / pageSizeBytes;
        if (pages > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException(name + ": too many pages (" + pages + "); use a larger page size");
        }
    }

    /**
     * A non-persistent tier of {@code capacityBytes} with the default page size and segments of up to 1 GiB
     * (smaller when the capacity is smaller).
     */
    public static DramTierConfig of(String name, long capacityBytes) {
        return of(name, capacityBytes, DEFAULT_PAGE_SIZE);
    }

    /** A non-persistent tier with the given page size. */
    public static DramTierConfig of(String name, long capacityBytes, int pageSizeBytes) {
        long rounded = Math.max(pageSizeBytes, (capacityBytes + pageSizeBytes - 1) / pageSizeBytes * pageSizeBytes);
        int segment = (int) Math.min(MAX_SEGMENT_BYTES / pageSizeBytes * (long) pageSizeBytes, rounded);
        return new DramTierConfig(name, capacityBytes, pageSizeBytes, segment, null,
                RestartVerification.ON_FIRST_READ);
    }

    /** The same configuration, persisted under {@code directory}. */
    public DramTierConfig persistedTo(Path directory) {
        return new DramTierConfig(name, capacityBytes, pageSizeBytes, segmentBytes,
                Objects.requireNonNull(directory, "directory"), restartVerification);
    }

    /** The same configuration with another restart verification mode. */
    public DramTierConfig withRestartVerification(RestartVerification mode) {
        return new DramTierConfig(name, capacityBytes, pageSizeBytes, segmentBytes, persistDirectory, mode);
    }

    /** The same configuration with another segment size. */
    public DramTierConfig withSegmentBytes(int bytes) {
        return new DramTierConfig(name, capacityBytes, pageSizeBytes, bytes, persistDirectory, restartVerification);
    }

    /** Number of pages: the capacity rounded up to whole pages. */
    public int pageCount() {
        return (int) ((capacityBytes + pageSizeBytes - 1) / pageSizeBytes);
    }

    /** Pages per segment. */
    public int pagesPerSegment() {
        return segmentBytes / pageSizeBytes;
    }

    /** Number of segments. */
    public int segmentCount() {
        return (pageCount() + pagesPerSegment() - 1) / pagesPerSegment();
    }

    /** True if the arena and index live in files. */
    public boolean persistent() {
        return persistDirectory != null;
    }
}
