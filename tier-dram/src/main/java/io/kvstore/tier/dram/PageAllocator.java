package io.kvstore.tier.dram;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Hands out runs of contiguous pages of the arena, best fit, and takes them back, merging free neighbours.
 * Pages are numbered globally; a run never crosses a segment boundary (each segment is its own buffer).
 *
 * <p>Fragmentation: all blocks of one size class take runs of the same length, so with uniform block sizes
 * (the common case: one model's blocks are all the same size) every free run is a whole number of blocks and
 * nothing is lost but the tail of each segment. Mixed sizes can leave free runs too short for the next block
 * (external fragmentation); best fit plus merging keeps it bounded, and {@link #largestFreeRun()} reports it.
 *
 * <p>Thread-safety: every method is synchronized; each is O(log runs).
 */
final class PageAllocator {

    private final int pagesPerSegment;
    private final int totalPages;
    /** Free runs: first page -> length. */
    private final TreeMap<Integer, Integer> byStart = new TreeMap<>();
    /** Free runs ordered by (length, first page), for best fit. */
    private final TreeSet<Long> bySize = new TreeSet<>();
    private int freePages;

    PageAllocator(int totalPages, int pagesPerSegment) {
        this.totalPages = totalPages;
        this.pagesPerSegment = pagesPerSegment;
        for (int s = 0; s < totalPages; s += pagesPerSegment) {
            addRun(s, Math.min(pagesPerSegment, totalPages - s));
        }
        this.freePages = totalPages;
    }

    /** Takes {@code pages} contiguous pages; returns the first, or -1 if no free run is long enough. */
    synchronized int allocate(int pages) {
        Long fit = bySize.ceiling(sizeKey(pages, 0));
        if (fit == null) {
            return -1;
        }
        int start = (int) (fit & 0xFFFF_FFFFL);
        int len = (int) (fit >>> 32);
        removeRun(start, len);
        if (len > pages) {
            addRun(start + pages, len - pages);
        }
        freePages -= pages;
        return start;
    }

    /**
     * Takes the given run, which must be entirely free (used when the index is reloaded at a warm restart).
     * Returns false if any of its pages is not free.
     */
    synchronized boolean claim(int start, int pages) {
        Map.Entry<Integer, Integer> e = byStart.floorEntry(start);
        if (e == null || e.getKey() + e.getValue() < start + pages || segmentOf(start) != segmentOf(start + pages - 1)) {
            return false;
        }
        int runStart = e.getKey();
        int runLen = e.getValue();
        removeRun(runStart, runLen);
        if (start > runStart) {
            addRun(runStart, start - runStart);
        }
        int tail = runStart + runLen - (start + pages);
        if (tail > 0) {
            addRun(start + pages, tail);
        }
        freePages -= pages;
        return true;
    }

    /** Returns a run. Throws if any of its pages is already free (a double free). */
    synchronized void free(int start, int pages) {
        if (start < 0 || pages < 1 || start + pages > totalPages) {
            throw new IllegalStateException("free of an invalid run " + start + "+" + pages);
        }
        Map.Entry<Integer, Integer> before = byStart.floorEntry(start + pages - 1);
        if (before != null && before.getKey() + before.getValue() > start) {
            throw new IllegalStateException("double free of pages " + start + "+" + pages);
        }
        int s = start;
        int len = pages;
        if (before != null && before.getKey() + before.getValue() == start
                && segmentOf(before.getKey()) == segmentOf(start)) {
            s = before.getKey();
            len += before.getValue();
            removeRun(before.getKey(), before.getValue());
        }
        Integer afterLen = byStart.get(start + pages);
        if (afterLen != null && segmentOf(start + pages) == segmentOf(start)) {
            removeRun(start + pages, afterLen);
            len += afterLen;
        }
        addRun(s, len);
        freePages += pages;
    }

    synchronized int freePages() {
        return freePages;
    }

    /** Length of the longest free run: the largest block that fits right now, in pages. */
    synchronized int largestFreeRun() {
        return bySize.isEmpty() ? 0 : (int) (bySize.last() >>> 32);
    }

    /** Number of distinct free runs. */
    synchronized int freeRuns() {
        return byStart.size();
    }

    int totalPages() {
        return totalPages;
    }

    private int segmentOf(int page) {
        return page / pagesPerSegment;
    }

    private void addRun(int start, int len) {
        byStart.put(start, len);
        bySize.add(sizeKey(len, start));
    }

    private void removeRun(int start, int len) {
        byStart.remove(start);
        bySize.remove(sizeKey(len, start));
    }

    private static long sizeKey(int len, int start) {
        return ((long) len << 32) | (start & 0xFFFF_FFFFL);
    }
}
