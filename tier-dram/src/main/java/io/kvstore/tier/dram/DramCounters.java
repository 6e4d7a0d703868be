package io.kvstore.tier.dram;

import io.kvstore.core.tier.TierStats;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The counters of a {@link DramTier} and the snapshot {@link DramTier#stats()} answers. Thread-safe. */
final class DramCounters {

    final AtomicLong usedBytes = new AtomicLong();
    final AtomicLong blocks = new AtomicLong();
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder corrupt = new LongAdder();
    final LongAdder removedBlocks = new LongAdder();
    final LongAdder removedBytes = new LongAdder();
    final LongAdder noRunRefusals = new LongAdder();
    final LongAdder verifiedAfterRestart = new LongAdder();
    final LongAdder reservedPages = new LongAdder();
    volatile long restartBlocks;

    /** See {@link DramTier#stats()} for the details' names. */
    TierStats snapshot(DramTierConfig config, PageArena arena, ArenaFiles files) {
        return new TierStats(config.name(), (long) arena.totalPages() * arena.pageSize(), usedBytes.get(),
                blocks.get(), hits.sum(), misses.sum(), corrupt.sum(), Map.ofEntries(
                        Map.entry("page_size_bytes", (long) arena.pageSize()),
                        Map.entry("pages_total", (long) arena.totalPages()),
                        Map.entry("free_pages", (long) arena.freePages()),
                        Map.entry("largest_free_run_pages", (long) arena.largestFreeRun()),
                        Map.entry("free_runs", (long) arena.freeRuns()),
                        Map.entry("retired_pages", arena.retiredPages()),
                        Map.entry("no_run_refusals", noRunRefusals.sum()),
                        Map.entry("removed_blocks", removedBlocks.sum()),
                        Map.entry("removed_bytes", removedBytes.sum()),
                        Map.entry("restart_blocks", restartBlocks),
                        Map.entry("restart_discarded", files.coldStartReason() != null ? 1L : 0L),
                        Map.entry("verified_after_restart", verifiedAfterRestart.sum()),
                        Map.entry("restart_index_recovered", files.recoveredIndex() ? 1L : 0L),
                        Map.entry("reserved_pages", reservedPages.sum()),
                        Map.entry("persistent", config.persistent() ? 1L : 0L)));
    }
}
