package io.kvstore.core.store;

import io.kvstore.core.key.BlockKey;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Whether promoting the hits of one level that keeps promoted copies (NVMe) pays, learned from what the copies
 * earn above.
 *
 * <p>A promotion out of such a level costs a read of the block there, a copy into the level above and, since that
 * level is full, a victim pushed out of it; it pays only if the copy is read above before it leaves, each such read
 * saving a read of the level below. Whether it does depends on the workload, not on the block: with the agent
 * load's 512 KiB blocks the DRAM copies are read again often, with the real Claude Code sessions' 32 KiB blocks
 * (thousands of blocks a turn through a DRAM of 4,096) almost never: there a full daemon promoted 48,000 blocks in
 * 30 s while DRAM served 2% of the GET bytes. So the level counts the hits above on blocks it still holds a copy of
 * (a promoted copy is the only way a block is cached in both) and, every {@link #WINDOW} promotions, how many such
 * hits a promotion earned in the window (halving the weight of older windows). A promotion reads the block below
 * once more and each hit on its copy saves one such read, so it pays from one hit a promotion on: at {@link
 * #FULL_YIELD} or more every hit that asks is promoted; below, only the hits of one block in {@link #MAX_EVERY},
 * so that the yield goes on being measured and the rule comes back when the
 * workload changes. Which blocks are promoted is decided by their key's hash (a fixed sample of the keys, as the
 * default policy samples its miniature caches), not by chance, so a simulation stays deterministic, and not by
 * counting hits, which a workload that reads each block twice in a row turns into promoting only second reads,
 * whose copies are never read again (found by {@code
 * TieredStoreTest.promotionsWhoseCopiesAreNotReadAboveAreThrottledAndComeBack}).
 *
 * <p>Its first version promoted one block in {@code FULL_YIELD / yield} (a power of two) below one hit: a
 * promotion's cost does not fall with its yield, and the agent load of {@code bench load} showed it, with about 0.3
 * hits a promotion it promoted half the blocks asking (6,000-7,700 promotions in 30 s, each a read of NVMe and a
 * victim in DRAM), where one in sixteen (1,700-2,400) left the full daemon's hit rate 0.9 points higher and its copies
 * earning 0.45-0.5 hits each (docs/bench-load.md, "promotions below one hit").
 *
 * <p>The copies promoted in a window earn their hits partly in the next; a window of 256 promotions lasts well under
 * a second to a few seconds in a full daemon, about one turnover of its DRAM, so the lag is a window. Thread-safe:
 * counters without locks; the estimate, once per window, under this object's monitor.
 */
final class PromotionYield {

    /** Promotions between two estimates. */
    static final int WINDOW = 256;
    /** Hits above per promotion from which every hit that asks is promoted (one: what the promotion's read cost). */
    static final double FULL_YIELD = 1.0;
    /** Below {@link #FULL_YIELD}, the hits of one block in this many are promoted (a power of two, at most 16). */
    static final int MAX_EVERY = 16;

    private final LongAdder copyHits = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final AtomicLong promoted = new AtomicLong();
    /** The hits of one block in this many are promoted (a power of two). */
    private volatile int every = 1;
    private long copyHitsAtWindow;
    private long promotedAtWindow;
    private double yield = Double.NaN;

    /** A hit above on a block this level holds a copy of. */
    void copyHit() {
        copyHits.increment();
    }

    /** True if the promotion a hit here on {@code key} asks for should go ahead; counts it as skipped otherwise. */
    boolean admits(BlockKey key) {
        int k = every;
        // the top four bits of a Fibonacci hash of the key: 16 even buckets, of which 16 / k are promoted
        if (k == 1 || (key.hashCode() * 0x9E3779B9) >>> 28 < MAX_EVERY / k) {
            return true;
        }
        skipped.increment();
        return false;
    }

    /** A promotion out of this level went through. */
    void promoted() {
        if (promoted.incrementAndGet() % WINDOW == 0) {
            estimate();
        }
    }

    private synchronized void estimate() {
        long hits = copyHits.sum();
        long n = promoted.get();
        double inWindow = (double) (hits - copyHitsAtWindow) / Math.max(1, n - promotedAtWindow);
        copyHitsAtWindow = hits;
        promotedAtWindow = n;
        yield = Double.isNaN(yield) ? inWindow : (yield + inWindow) / 2;
        every = yield >= FULL_YIELD ? 1 : MAX_EVERY;
    }

    /** Hits above on copies of this level's blocks, since the store opened. */
    long copyHits() {
        return copyHits.sum();
    }

    /** Hits here whose promotion this rule skipped, since the store opened. */
    long skipped() {
        return skipped.sum();
    }

    /** The hits of one block in how many are promoted now (1: all). */
    int every() {
        return every;
    }
}
