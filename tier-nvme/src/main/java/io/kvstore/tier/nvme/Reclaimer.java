package io.kvstore.tier.nvme;

import io.kvstore.core.table.KeyedTable;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.TierDropListener;
import io.kvstore.tier.nvme.MetaDescriptor.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Space back for an {@link NvmeTier} by whole segments, oldest first, without rewriting cache data (CacheLib navy's
 * RegionManager with a FIFO region policy). When the segments on disk pass the tier's capacity plus one segment
 * ({@link #limit}), the oldest one is dropped: each record the index still points at is dropped with it unless the store's {@link TierDropListener}
 * says it must stay ({@code mayDrop} false: pinned or leased; asked again, binding, at the drop itself: {@code
 * claimDrop}), in which case it is rewritten to the newest segment,
 * at most {@link #RELOCATION_SHARE 1/2} of a segment's bytes (or one record) per reclaimed segment; past that bound a block that
 * should stay is dropped anyway and counted ({@code forced_drops}): the tier never exceeds its capacity to keep
 * pins. Of the blocks that may go, those read since they were written are rewritten too, parents (low chain
 * positions) first, within {@code reinsertionShare} of a segment's bytes per reclaimed segment (CacheLib navy's
 * hits-based reinsertion; a prefix cache needs the oldest blocks of a chain most, and pure FIFO drops them first);
 * a reinserted block must be read again to be reinserted again. The listener hears {@code dropped} for every
 * dropped block after its segment file is gone.
 *
 * <p>With {@code backgroundReclaim} (the daemon), a thread of the tier reclaims as soon as a put finds the log past
 * its limit, one segment at a time, until it is back within; puts go on meanwhile, and a put that finds the log
 * {@link #BACKPRESSURE_SEGMENTS} segments past its limit waits for the thread's progress (each reclaimed segment
 * wakes it), not for the reclaim's lock. (It once took the lock to reclaim a share itself, and the reclaim thread,
 * which takes the lock again for its next segment at once, kept it from the waiting puts until the whole backlog was
 * reclaimed: JFR found puts of a full agent run parked up to 0.87 s there, 117 s in all in 30 s, and their clients'
 * PUT p99 at 0.5-0.6 s.) Without it (the default: tests
 * and tools that want a deterministic log), the put that finds the log past its limit reclaims, after it released
 * its key's lock (a reclaim takes other keys' locks; lock order is lifecycle, reclaim, key), at most
 * {@link #SEGMENTS_PER_PUT} segments: the work is shared among the puts instead of falling on one. (It once looped
 * until the log was within its limit, and under steady writes from other connections that could be never: one
 * PUT spent minutes reclaiming for everybody while its client timed out.) Either way a put that finds the log
 * {@link #BACKPRESSURE_SEGMENTS} segments past its limit waits its turn and reclaims too, so writers cannot outrun
 * the reclaim and the disk use stays bounded; below that, a put that finds a reclaim under way goes on.
 *
 * <p>Reinsertion from a read (with {@code backgroundReclaim} and reinsertion on): a read that hits a block in the
 * oldest {@code 1/}{@link #EARLY_ZONE_SHARE} of the log while the log is full hands the record it just read to a
 * rewrite thread of the tier, which appends it to the newest segment then and there, within the segment's
 * reinsertion budget; the reclaim of that segment later finds the block gone from it. The reinsertion is the one the
 * reclaim would have made (the block was read since it was written), a little earlier, from bytes already in memory:
 * the reclaim would have read them from the device again. In the agent workload of {@code bench load} the reclaim's
 * reinsertions were 46% of the tier's device writes, each with its device read. A read whose rewrite the thread
 * cannot take (its queue of {@link #EARLY_QUEUE} is full) leaves the block to the reclaim, as before.
 *
 * <p>A reclaim always frees space: blocks that must stay are rewritten first, within half a segment; blocks read
 * since they were written are then reinserted within {@code reinsertionShare} of a segment and within
 * {@link #REWRITE_SHARE_LIMIT} of a segment for both together, so at least a quarter of each reclaimed segment
 * comes back. Thread-safe.
 */
final class Reclaimer {

    private static final Logger LOG = LoggerFactory.getLogger(Reclaimer.class);
    /** Largest share of a reclaimed segment's size that may be rewritten to keep blocks that must stay. */
    static final int RELOCATION_SHARE = 2;
    /** Largest share of a reclaimed segment's size rewritten in all (kept and reinserted blocks). */
    static final double REWRITE_SHARE_LIMIT = 0.75;
    /** Segments one put reclaims at most. */
    static final int SEGMENTS_PER_PUT = 2;
    /** Segments past the limit beyond which a put waits for the reclaim under way instead of going on. */
    static final int BACKPRESSURE_SEGMENTS = 4;
    /** A read reinserts at once a block in the oldest 1/this of the log's segments (and at least the oldest). */
    static final int EARLY_ZONE_SHARE = 8;
    /** Reinsertions from reads waiting for the rewrite thread, at most (each holds its read buffer). */
    static final int EARLY_QUEUE = 8;

    private final NvmeTier tier;
    private final ReentrantLock lock = new ReentrantLock();
    /** The tier's reclaim thread, or null: the puts reclaim. */
    private final ExecutorService background;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile TierDropListener listener = TierDropListener.NONE;
    private final LongAdder reclaimedSegments = new LongAdder();
    private final LongAdder droppedBlocks = new LongAdder();
    private final LongAdder relocatedBlocks = new LongAdder();
    private final LongAdder forcedDrops = new LongAdder();
    private final LongAdder reinsertedBlocks = new LongAdder();
    private final LongAdder reinsertedOnRead = new LongAdder();
    /** The rewrite thread of reinsertions from reads, or null (no background reclaim, or no reinsertion). */
    private final ThreadPoolExecutor early;
    /** Keys read since their record was written: reinsertion candidates. */
    private final KeyedTable<BlockKey, BlockKey> readSinceWritten = KeyedTable.keySet(64);
    /** Notified after every reclaimed segment: puts waiting for the reclaim thread to catch up wait on it. */
    private final Object progress = new Object();
    /** Longest single wait on {@link #progress} before a waiting put looks at the log again. */
    private static final long PROGRESS_WAIT_MILLIS = 10;

    Reclaimer(NvmeTier tier) {
        this.tier = tier;
        this.background = tier.cfg.backgroundReclaim()
                ? Executors.newSingleThreadExecutor(r -> NvmeTier.daemon(r, tier.cfg.name() + "-reclaim")) : null;
        this.early = background != null && tier.cfg.reinsertionShare() > 0
                ? new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(EARLY_QUEUE),
                        r -> NvmeTier.daemon(r, tier.cfg.name() + "-reinsert")) : null;
    }

    void listener(TierDropListener l) {
        listener = l;
    }

    /** A read hit {@code key}. */
    void hit(BlockKey key) {
        if (tier.cfg.reinsertionShare() > 0 && !readSinceWritten.containsKey(key)) {
            readSinceWritten.putIfAbsent(key);
        }
    }

    /**
     * A read hit {@code e}'s block and holds its whole record in {@code buf} ({@code release} gives the buffer back):
     * marks it read since written and, where it is about to be reclaimed ({@link #EARLY_ZONE_SHARE}), hands the
     * record to the rewrite thread. Returns what the reader's handle must run instead of {@code release}: the buffer
     * goes back when both the handle and the rewrite are done with it.
     */
    Runnable readHit(BlockKey key, Entry e, ByteBuffer buf, Runnable release) {
        hit(key);
        if (early == null || !aboutToBeReclaimed(e.segment())) {
            return release;
        }
        AtomicInteger users = new AtomicInteger(2);
        Runnable shared = () -> {
            if (users.decrementAndGet() == 0) {
                release.run();
            }
        };
        ByteBuffer record = buf.duplicate().position(0).limit(e.length());
        try {
            early.execute(() -> {
                try {
                    reinsertRead(key, e, record);
                } finally {
                    shared.run();
                }
            });
        } catch (RejectedExecutionException full) {
            return release; // the reclaim reinserts it, reading it again
        }
        return shared;
    }

    /**
     * True if the log is full (within a segment of the tier's capacity: its oldest segments go next) and segment
     * {@code id} is among its oldest {@code 1/}{@link #EARLY_ZONE_SHARE}.
     */
    private boolean aboutToBeReclaimed(long id) {
        long segmentBytes = tier.segments.segmentBytes();
        long limit = limit(tier);
        if (tier.segments.totalBytes() < limit - 2 * segmentBytes) {
            return false;
        }
        long zone = Math.max(1, limit / segmentBytes / EARLY_ZONE_SHARE);
        long oldest = tier.segments.oldestId();
        return oldest >= 0 && id < oldest + zone;
    }

    /** The rewrite thread: reinserts a block from the record a read holds, unless it moved or the budget is spent. */
    private void reinsertRead(BlockKey key, Entry e, ByteBuffer record) {
        tier.lifecycle.readLock().lock();
        try {
            if (tier.isClosed()) {
                return;
            }
            SegmentStore.Segment from = tier.segments.find(e.segment());
            long padded = e.padded();
            if (from == null || from.reinsertedEarly.get() + padded > reinsertBudget()) {
                return;
            }
            ReentrantLock stripe = tier.stripe(key);
            stripe.lock();
            try {
                if (tier.index.get(key) != e) {
                    return; // moved, dropped or removed since the read
                }
                if (rewrite(key, e, record.duplicate(), true) > 0) {
                    from.reinsertedEarly.addAndGet(padded);
                    readSinceWritten.remove(key);
                    reinsertedBlocks.increment();
                    reinsertedOnRead.increment();
                }
            } catch (IOException ex) {
                tier.counters.errors.increment();
                LOG.warn("{}: reinserting {} after a read failed: {}", tier.cfg.name(), key.shortHex(), ex.toString());
            } finally {
                stripe.unlock();
            }
        } finally {
            tier.lifecycle.readLock().unlock();
        }
    }

    /** Bytes of a segment that may be reinserted (by reads before its reclaim and by the reclaim together). */
    private long reinsertBudget() {
        return (long) (tier.segments.segmentBytes() * tier.cfg.reinsertionShare());
    }

    /** {@code key} left the index. */
    void forget(BlockKey key) {
        readSinceWritten.remove(key);
    }

    /**
     * Segment bytes the log may hold: the capacity plus one segment. The slack matters: live blocks alone may fill the
     * capacity (the store evicts only what the next put needs), and the log also holds the unused end of each sealed
     * segment and the records of removed blocks; a store that evicts in FIFO order has emptied the oldest segment by
     * the time the log passes this limit, so the reclaim drops nothing live.
     */
    static long limit(NvmeTier tier) {
        return tier.cfg.capacityBytes() + tier.segments.segmentBytes();
    }

    /**
     * Reclaims up to {@link #SEGMENTS_PER_PUT} oldest segments while the log is over {@link #limit}. Returns at once
     * if another thread is at it, unless the log is {@link #BACKPRESSURE_SEGMENTS} past the limit: then it waits
     * for that thread and reclaims too.
     */
    void makeRoom() {
        long limit = limit(tier);
        long total = tier.segments.totalBytes();
        if (total <= limit || lock.isHeldByCurrentThread()) {
            return;
        }
        long bound = limit + BACKPRESSURE_SEGMENTS * tier.segments.segmentBytes();
        boolean behind = total > bound;
        if (background != null) {
            schedule();
            if (behind) {
                awaitReclaim(bound); // the writers are outrunning the reclaim thread: wait for its progress
            }
            return;
        }
        if (!lock.tryLock()) {
            if (!behind) {
                return; // the reclaim thread, the reclaim under way or the next put's covers this put's record
            }
            lock.lock(); // the writers are outrunning the reclaim: wait for it, then take a share
        }
        try {
            for (int i = 0; i < SEGMENTS_PER_PUT && tier.segments.totalBytes() > limit; i++) {
                SegmentStore.Segment oldest = tier.segments.oldestReclaimable();
                if (oldest == null) {
                    return; // only the active segment (or appends in flight in the oldest): the next put retries
                }
                reclaim(oldest, listener);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the reclaim thread has brought the log within {@code bound}, the tier closes or the thread is
     * interrupted (the flag is kept). Looks again after every reclaimed segment, and every
     * {@link #PROGRESS_WAIT_MILLIS} in case the thread ended between a put's look and its wait.
     */
    private void awaitReclaim(long bound) {
        synchronized (progress) {
            while (tier.segments.totalBytes() > bound && !tier.isClosed()) {
                schedule();
                try {
                    progress.wait(PROGRESS_WAIT_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Starts the reclaim thread's work unless it is already at it. */
    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                background.execute(this::reclaimInBackground);
            } catch (RejectedExecutionException closing) {
                scheduled.set(false);
            }
        }
    }

    /** The reclaim thread: oldest segments, one at a time under the lock, until the log is within its limit. */
    private void reclaimInBackground() {
        try {
            while (reclaimOne()) {
                // next segment; puts that need the lock get it between two
            }
        } catch (RuntimeException e) {
            if (!tier.isClosed()) {
                LOG.warn("{}: background reclaim failed: {}", tier.cfg.name(), e.toString());
            }
        } finally {
            scheduled.set(false);
        }
        if (!tier.isClosed() && tier.segments.totalBytes() > limit(tier)) {
            schedule(); // a put found the work scheduled just before it ended: look once more
        }
    }

    /** Reclaims the oldest segment if the log is past its limit; false when there is nothing (more) to do. */
    private boolean reclaimOne() {
        tier.lifecycle.readLock().lock();
        try {
            if (tier.isClosed() || tier.segments.totalBytes() <= limit(tier)) {
                return false;
            }
            lock.lock();
            try {
                SegmentStore.Segment oldest = tier.segments.oldestReclaimable();
                if (oldest == null || tier.segments.totalBytes() <= limit(tier)) {
                    return false;
                }
                reclaim(oldest, listener);
                return true;
            } finally {
                lock.unlock();
            }
        } finally {
            tier.lifecycle.readLock().unlock();
        }
    }

    /** Stops the reclaim thread (the tier closes): a segment under way is finished, nothing new starts. */
    void shutdown() {
        if (background != null) {
            background.shutdown();
        }
        if (early != null) {
            early.shutdown();
        }
    }

    /** Waits for the reclaim thread after {@link #shutdown}. */
    void awaitStopped() {
        if (background != null) {
            NvmeTier.awaitQuietly(background);
        }
        if (early != null) {
            NvmeTier.awaitQuietly(early);
        }
    }

    /**
     * Drops segment {@code s} with the blocks still in it, keeping (by rewriting) those {@code ask} says must stay,
     * within the bound; then deletes the file and tells {@code ask} what was dropped.
     */
    void reclaim(SegmentStore.Segment s, TierDropListener ask) {
        long budget = tier.segments.segmentBytes() / RELOCATION_SHARE;
        long reinsertBudget = reinsertBudget();
        long moved = 0;
        long reinserted = s.reinsertedEarly.get(); // by reads, before this reclaim
        List<BlockMeta> gone = new ArrayList<>();
        List<Entry> in = tier.entriesIn(s.id);
        in.sort(Comparator.comparingInt((Entry e) -> e.position())); // parents first: a prefix needs them
        // first the blocks that must stay (pinned, leased), then the reinsertions in what is left
        List<Entry> reinsert = new ArrayList<>();
        for (Entry e : in) {
            BlockKey key = e.key();
            if (ask.mayDrop(key)) {
                reinsert.add(e);
                continue;
            }
            moved = keepHeld(key, e, moved, budget, gone);
        }
        long rewriteLimit = (long) (tier.segments.segmentBytes() * REWRITE_SHARE_LIMIT);
        for (Entry e : reinsert) {
            BlockKey key = e.key();
            long n = -1;
            long padded = e.padded();
            if (readSinceWritten.remove(key) != null && reinserted + padded <= reinsertBudget
                    && moved + reinserted + padded <= rewriteLimit) {
                n = keep(key, e, true, reinsertedBlocks);
                reinserted += Math.max(0, n);
            }
            if (n >= 0) {
                continue;
            }
            // dropped, unless the store's binding answer now says it must stay (leased or pinned since mayDrop)
            NvmeTier.Unindexed u = tier.unindexClaimed(key, e, ask);
            if (u == NvmeTier.Unindexed.REFUSED) {
                moved = keepHeld(key, e, moved, budget, gone);
            } else if (u == NvmeTier.Unindexed.DROPPED) {
                gone.add(e.meta());
            }
        }
        try {
            tier.segments.retire(s);
            reclaimedSegments.increment();
            synchronized (progress) {
                progress.notifyAll();
            }
        } finally {
            // the blocks are out of the index whatever the retirement did; the store gave their copies up when the
            // tier claimed the drops, and waits for these reports to let new copies be written there
            droppedBlocks.add(gone.size());
            for (BlockMeta meta : gone) {
                ask.dropped(meta);
            }
        }
    }

    /**
     * Keeps a block that must stay (pinned or leased) by rewriting it, if the segment's relocation budget allows ({@code
     * moved} of {@code budget} bytes spent; the first such block always); else, or if it cannot be rewritten, drops it
     * into {@code gone}. Returns the bytes moved so far.
     */
    private long keepHeld(BlockKey key, Entry e, long moved, long budget, List<BlockMeta> gone) {
        long n = -1; // bytes rewritten to keep the block; 0 if it went meanwhile; -1: drop it
        if (moved == 0 || moved + e.padded() <= budget) {
            n = keep(key, e, false, relocatedBlocks);
            moved += Math.max(0, n);
        } else {
            forcedDrops.increment();
            LOG.warn("{}: block {} must stay but the segment's relocation budget ({} bytes) is spent; "
                    + "dropped", tier.cfg.name(), key.shortHex(), budget);
        }
        if (n < 0 && tier.unindex(key, e)) { // not kept (or unreadable, not writable): dropped
            gone.add(e.meta());
        }
        return moved;
    }

    /** Rewrites the block to the newest segment; returns {@link NvmeTier#relocate}'s answer and counts a success. */
    private long keep(BlockKey key, Entry e, boolean reinsert, LongAdder kept) {
        long n = relocate(key, e, reinsert);
        if (n > 0) {
            kept.increment();
        }
        return n;
    }

    /**
     * Rewrites the block of {@code e} to the newest segment (a block that must stay while its segment is
     * reclaimed, or with {@code reinsert} one that was read since it was written). Returns the device bytes written, 0 if the block is no longer {@code e} (nothing to do), or -1
     * if it could not be moved (unreadable: counted corrupt; or a write error): the caller then drops it.
     */
    private long relocate(BlockKey key, Entry e, boolean reinsert) {
        ReentrantLock stripe = tier.stripe(key);
        stripe.lock();
        try {
            if (tier.index.get(key) != e) {
                return 0;
            }
            SegmentStore.Location from = e.location();
            ByteBuffer buf = tier.pool.acquire(from.padded());
            try {
                if (!tier.segments.read(from, buf) || RecordDescriptor.decode(buf, e.meta(), from.segment()) == null) {
                    tier.counters.corrupt.increment();
                    LOG.warn("{}: block {} is corrupt (found while relocating); dropped", tier.cfg.name(),
                            key.shortHex());
                    return -1;
                }
                return rewrite(key, e, buf.position(0).limit(from.length()), reinsert);
            } finally {
                tier.pool.release(buf);
            }
        } catch (IOException ex) {
            tier.counters.errors.increment();
            LOG.warn("{}: relocating {} failed: {}", tier.cfg.name(), key.shortHex(), ex.toString());
            return -1;
        } finally {
            stripe.unlock();
        }
    }

    /**
     * Appends {@code record} (the whole record of {@code e}, read from its segment) to the newest segment and points
     * the index at it; the caller holds the key's stripe lock and checked that the index still holds {@code e}.
     * Returns the device bytes written.
     */
    private long rewrite(BlockKey key, Entry e, ByteBuffer record, boolean reinsert) throws IOException {
        SegmentStore.Location from = e.location();
        Entry moved = tier.writer.append(e.meta(), record);
        tier.index.put(moved);
        tier.segments.addLive(moved.location(), true);
        tier.segments.removeLive(from);
        (reinsert ? tier.counters.deviceBytesReinserted : tier.counters.deviceBytesRelocated)
                .add(moved.padded());
        return moved.padded();
    }

    void stats(Map<String, Long> d) {
        d.put("reclaimed_segments", reclaimedSegments.sum());
        d.put("dropped_blocks", droppedBlocks.sum());
        d.put("relocated_blocks", relocatedBlocks.sum());
        d.put("forced_drops", forcedDrops.sum());
        d.put("reinserted_blocks", reinsertedBlocks.sum());
        d.put("reinserted_on_read_blocks", reinsertedOnRead.sum());
    }
}
