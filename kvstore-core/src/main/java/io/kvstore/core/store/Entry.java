package io.kvstore.core.store;

import io.kvstore.core.block.BlockMeta;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * One block in the {@link Directory}: its metadata and where copies of it live.
 *
 * <p>A block may have a copy in several levels at once ({@code residency}, one bit per level): a block promoted
 * out of a persistent tier keeps its lower copy, so demoting it again costs no write. Reads go to the top copy.
 * A mover that takes a copy away first marks it ({@code movingOut}) so that no second mover picks it, and
 * publishes the move in one step ({@link #finishMove}); pins and leases are checked in that same step, so a
 * block pinned while its move was in flight keeps its copy.
 *
 * <p>Thread-safety: the residency, pins and flags change under this object's monitor, held only for these few
 * field updates (never across I/O or while calling a policy); {@code residency} and the lease are volatile so
 * that LOOKUP reads them without any lock.
 */
final class Entry {

    /** What {@link #finishMove} or {@link #finishDrop} did. */
    enum MoveOutcome {
        /** The copy left its level and arrived at the target. */
        MOVED,
        /** The copy left its level; the block stays cached in another. */
        COPY_DROPPED,
        /** The copy left its level and it was the last one: the block is gone from the store. */
        DROPPED_LAST,
        /** The block was pinned or leased meanwhile: the source copy stays (the target copy too, for a move). */
        KEPT,
        /** The block was deleted meanwhile: the caller undoes what it wrote. */
        GONE
    }

    private static final AtomicLongFieldUpdater<Entry> LEASE =
            AtomicLongFieldUpdater.newUpdater(Entry.class, "leaseUntilNanos");
    private static final AtomicIntegerFieldUpdater<Entry> HITS =
            AtomicIntegerFieldUpdater.newUpdater(Entry.class, "hits");

    /** Bits 0-7 of {@link #state}: a mover has marked the copy at that level ({@link #tryMarkMovingOut}). */
    private static final int MOVING_SHIFT = 0;
    /** Bits 8-15: the copy at that level was given up and is not yet removed from its tier ({@link #released}). */
    private static final int RELEASING_SHIFT = 8;
    private static final int PROMOTING = 1 << 16;
    private static final int RETIRED = 1 << 17;
    private static final int REMOVED = 1 << 18;
    private static final int PARTIAL = 1 << 19;
    /** The block left the directory but not the store: its only copy is on a {@link ColdLevel} ({@link #forget}). */
    private static final int FORGOTTEN = 1 << 20;
    /** Bits 21-31: workers on the block ({@link #enter}, {@link #exit}); a handful at most, 2,047 allowed. */
    private static final int BUSY_SHIFT = 21;
    private static final int BUSY_ONE = 1 << BUSY_SHIFT;
    private static final int BUSY_MAX = (1 << (Integer.SIZE - BUSY_SHIFT)) - 1;
    /** Levels an entry can describe: one bit each in the moving and releasing bytes of {@link #state}. */
    static final int MAX_LEVELS = 8;

    /**
     * Final in all but one case: a reserved block whose checksum the store computes ({@link #checksummed}) gets its
     * CRC32C once its bytes are in, before it is published. Key, namespace and length never change.
     */
    volatile BlockMeta meta;
    private volatile int residency;
    /**
     * The moving and releasing bits per level, the flags and the count of workers, in one word (the entry is the
     * directory's per-block object: 48 bytes, docs/architecture.md "Metadata per block"). Under the monitor, but
     * for the {@link #PARTIAL} bit, set at construction and never changed.
     */
    private int state;
    private int pins;
    private volatile long leaseUntilNanos;
    /** Reads since the block entered the store, saturating at {@link Integer#MAX_VALUE}. */
    private volatile int hits;
    private volatile long lastAccessNanos;

    Entry(BlockMeta meta, boolean partial, long now) {
        this.meta = meta;
        this.state = partial ? PARTIAL : 0;
        this.lastAccessNanos = now;
    }

    /** True if the block was put as a partial block (its chain's last, not filled). */
    boolean partial() {
        return (state & PARTIAL) != 0;
    }

    private static int moving(int level) {
        return 1 << (MOVING_SHIFT + level);
    }

    private static int releasing(int level) {
        return 1 << (RELEASING_SHIFT + level);
    }

    private boolean removedFlag() {
        return (state & REMOVED) != 0;
    }

    private int busy() {
        return state >>> BUSY_SHIFT;
    }

    /** Under the monitor: one worker more or fewer. */
    private void addBusy(int delta) {
        int next = busy() + delta;
        if (next < 0 || next > BUSY_MAX) {
            throw new IllegalStateException("workers on one block out of range: " + next);
        }
        state += delta * BUSY_ONE;
    }

    /** The top level holding a copy, or -1 while the block is being written or after it is gone. Lock-free. */
    int top() {
        int r = residency;
        return r == 0 ? -1 : Integer.numberOfTrailingZeros(r);
    }

    /** True if level {@code level} holds a copy. Lock-free. */
    boolean resides(int level) {
        return (residency & (1 << level)) != 0;
    }

    /** Bitmask of the levels holding a copy. Lock-free. */
    int residency() {
        return residency;
    }

    synchronized boolean removed() {
        return removedFlag();
    }

    /**
     * True if the entry left the directory because its only copy is on a {@link ColdLevel}: the block is still cached
     * there, and whoever holds this entry finds it again through {@link ColdLevel#resolve}.
     */
    synchronized boolean forgotten() {
        return (state & FORGOTTEN) != 0;
    }

    /**
     * Marks the entry forgotten (and removed, for everyone who holds it) if the block's only copy is at the level of
     * {@code bit} and nothing holds it: no worker, mover, promotion, pin or lease at {@code now}. The caller then takes
     * it out of the directory. Its residency stays as it was: a lock-free reader that holds the entry still finds the
     * copy, which is still there.
     */
    synchronized boolean forget(int bit, long now) {
        if (removedFlag() || residency != bit || busy() > 0 || pins > 0 || leaseUntilNanos > now
                || (state & (PROMOTING | 0xFFFF)) != 0) {
            return false;
        }
        state |= REMOVED | FORGOTTEN | RETIRED;
        return true;
    }

    /** A put, move or promotion starts working on this block; pair with {@link #exit}. */
    synchronized void enter() {
        addBusy(1);
    }

    /**
     * A worker is done with this block. True if the caller must now take the entry out of the directory: the
     * block is removed and nobody works on it any more (so no late write or removal of one of its copies can
     * reach a tier after a new entry for the same key took its place).
     */
    synchronized boolean exit() {
        addBusy(-1);
        return retireIfIdle();
    }

    private boolean retireIfIdle() {
        if (removedFlag() && busy() == 0 && (state & RETIRED) == 0) {
            state |= RETIRED;
            return true;
        }
        return false;
    }

    /** Sets the CRC32C of a block not yet published (the store computed it from the bytes received). */
    void checksummed(int crc32c) {
        meta = meta.withCrc32c(crc32c);
    }

    /** Records a new copy at {@code level}; false if the block was deleted meanwhile (the caller undoes it). */
    synchronized boolean publish(int level) {
        if (removedFlag()) {
            return false;
        }
        residency |= 1 << level;
        return true;
    }

    /**
     * Marks the copy at {@code level} as taken by a mover, if it may be taken: it exists, no other mover has it,
     * and the block is neither pinned nor leased at {@code now}. A mark counts as a worker ({@link #exit}).
     */
    synchronized boolean tryMarkMovingOut(int level, long now) {
        int bit = 1 << level;
        if (removedFlag() || (residency & bit) == 0 || (state & moving(level)) != 0 || pins > 0
                || leaseUntilNanos > now) {
            return false;
        }
        state |= moving(level);
        addBusy(1); // the mover works on it from now on; {@link #exit} when done
        return true;
    }

    synchronized void unmarkMovingOut(int level) {
        state &= ~moving(level);
    }

    synchronized boolean movingOut(int level) {
        return (state & moving(level)) != 0;
    }

    /** True if a mover has marked a copy at any level. */
    synchronized boolean moving() {
        return (state & (0xFF << MOVING_SHIFT)) != 0;
    }

    /** Publishes a demotion: the copy at {@code from} (marked moving) now lives at {@code to}. */
    synchronized MoveOutcome finishMove(int from, int to, long now) {
        state &= ~moving(from);
        if (removedFlag()) {
            return MoveOutcome.GONE;
        }
        residency |= 1 << to;
        if (pins > 0 || leaseUntilNanos > now) {
            return MoveOutcome.KEPT;
        }
        residency &= ~(1 << from);
        state |= releasing(from);
        return MoveOutcome.MOVED;
    }

    /** Publishes the drop of the copy at {@code from} (marked moving, or dropped by its tier when force). */
    synchronized MoveOutcome finishDrop(int from, long now, boolean force) {
        state &= ~moving(from);
        if (removedFlag()) {
            return MoveOutcome.GONE;
        }
        if (!force && (pins > 0 || leaseUntilNanos > now)) {
            return MoveOutcome.KEPT;
        }
        if ((residency & (1 << from)) == 0) {
            return MoveOutcome.GONE;
        }
        return dropCopy(from);
    }

    /**
     * Publishes a demotion onto the copy the level below already holds (kept by a promotion): nothing is written.
     * If that copy is gone or being taken away meanwhile, the victim's copy is dropped instead, as a victim of the
     * last level is: the block then lives on only where the level below is moving it, if anywhere.
     */
    synchronized MoveOutcome finishCleanMove(int from, int to, long now) {
        state &= ~moving(from);
        if (removedFlag()) {
            return MoveOutcome.GONE;
        }
        if (pins > 0 || leaseUntilNanos > now) {
            return MoveOutcome.KEPT;
        }
        int below = 1 << to;
        if ((residency & below) == 0 || (state & moving(to)) != 0) {
            return dropCopy(from);
        }
        residency &= ~(1 << from);
        state |= releasing(from);
        return MoveOutcome.MOVED;
    }

    private MoveOutcome dropCopy(int level) {
        residency &= ~(1 << level);
        state |= releasing(level);
        if (residency == 0) {
            state |= REMOVED;
            return MoveOutcome.DROPPED_LAST;
        }
        return MoveOutcome.COPY_DROPPED;
    }

    /**
     * Marks a promotion as queued unless one already is; it does not enter the entry (a queued promotion must not
     * keep a deleted or evicted block's entry from being retired, nor a new put of its key waiting): the promotion
     * enters when it runs ({@link #enterUnlessRemoved}). {@link #endPromotion} or {@link #finishPromotion} end it.
     */
    synchronized boolean tryStartPromotion(int from) {
        if ((state & (REMOVED | PROMOTING)) != 0 || (residency & (1 << from)) == 0) {
            return false;
        }
        state |= PROMOTING;
        return true;
    }

    /** Enters (as {@link #enter}) unless the block was removed; pair a true answer with {@link #exit}. */
    synchronized boolean enterUnlessRemoved() {
        if (removedFlag()) {
            return false;
        }
        addBusy(1);
        return true;
    }

    /**
     * Publishes a promotion: a copy now lives at {@code to}; with {@code keepSource} false the copy at {@code from}
     * is released unless a mover has it: {@link MoveOutcome#MOVED} if the caller must remove the source copy (tier
     * and policy), {@link MoveOutcome#KEPT} if it stays, {@link MoveOutcome#GONE} if the block was deleted meanwhile.
     */
    synchronized MoveOutcome finishPromotion(int from, int to, boolean keepSource) {
        state &= ~PROMOTING;
        if (removedFlag()) {
            return MoveOutcome.GONE;
        }
        residency |= 1 << to;
        int bit = 1 << from;
        if (keepSource || (state & moving(from)) != 0 || (residency & bit) == 0) {
            return MoveOutcome.KEPT;
        }
        residency &= ~bit;
        state |= releasing(from);
        return MoveOutcome.MOVED;
    }

    /**
     * The copy at {@code level} that a {@link MoveOutcome#MOVED}, {@link MoveOutcome#COPY_DROPPED} or
     * {@link MoveOutcome#DROPPED_LAST} gave up is
     * now removed from its tier. Until then no new copy may be written there: the pending removal would take it.
     */
    synchronized void released(int level) {
        state &= ~releasing(level);
    }

    /** Waits (briefly: a tier removal, no I/O wait) until no removal of a copy at {@code level} is pending. */
    void awaitReleased(int level) {
        int bit = releasing(level);
        for (int spins = 0; ; spins++) {
            synchronized (this) {
                if ((state & bit) == 0) {
                    return;
                }
            }
            Backoff.pause(spins);
        }
    }

    synchronized void endPromotion() {
        state &= ~PROMOTING;
    }

    /** Marks the block deleted and returns the levels that held copies, or -1 if it was already removed. */
    synchronized int remove() {
        if (removedFlag()) {
            return -1;
        }
        state |= REMOVED;
        int r = residency;
        residency = 0;
        return r;
    }

    synchronized int pins() {
        return pins;
    }

    /** Adds a pin; false if the block is gone (dropped or deleted after it was found, or its tier is dropping it). */
    synchronized boolean pin() {
        if (removedFlag() || kept() == 0) {
            return false;
        }
        pins++;
        return true;
    }

    /** Releases one pin; false if there was none. */
    synchronized boolean unpin() {
        if (pins == 0) {
            return false;
        }
        pins--;
        return true;
    }

    /** True if the block must stay where it is at {@code now}. Racy read, for a tier's drop question. */
    boolean held(long now) {
        synchronized (this) {
            return pins > 0 || leaseUntilNanos > now;
        }
    }

    /** Extends the lease to {@code until} (never shortens it). Lock-free. */
    void extendLease(long until) {
        long cur;
        do {
            cur = leaseUntilNanos;
            if (cur >= until) {
                return;
            }
        } while (!LEASE.compareAndSet(this, cur, until));
    }

    /**
     * Extends the lease to {@code until} and answers the top level holding a copy (-1: none), in one step with the
     * movers' publications ({@link #finishDrop}, {@link #finishMove} and the others take the same monitor): a mover
     * either sees this lease (and keeps the copy) or has published its drop before this reads the residency. Done
     * lock-free (the lease's CAS, then a volatile read of the residency), a mover could check the lease before the
     * CAS and publish the drop after the read: the lookup answered a hit that its lease did not protect (found by
     * ConcurrentStoreStressTest in CI on 2026-12-03).
     */
    synchronized int leaseAndTop(long until) {
        if ((state & FORGOTTEN) != 0) {
            return -1; // a lease here would protect nothing: the caller finds the block again (ColdLevel)
        }
        int r = kept();
        if (r == 0) {
            return -1; // every copy is being dropped by its tier ({@link #claimDrop}): nothing to lease
        }
        extendLease(until);
        return Integer.numberOfTrailingZeros(r);
    }

    /**
     * Under the monitor: the levels holding a copy that is not being given up (a copy whose tier claimed its drop,
     * {@link #claimDrop}, is still readable until the tier removes it, but no new lease or pin may count on it).
     */
    private int kept() {
        return residency & ~((state >>> RELEASING_SHIFT) & 0xFF);
    }

    /**
     * A tier that drops blocks on its own is about to drop the copy at {@code level} ({@code
     * TierDropListener.claimDrop}): false if the block is pinned or leased at {@code now} (the tier keeps it); else
     * true, and the copy is given up at once (marked releasing: no lease or pin counts on it from now on, and no new
     * copy is written there) until the tier's drop report removes it ({@link #finishDrop} with force, then {@link
     * #released}). True as well for a block already removed, or without a copy recorded there and no worker on it:
     * nothing to protect. With a worker on it (a put or move that may have written the copy the tier holds and not yet
     * recorded it, which would then record a copy that is gone) false: the tier keeps the block; a copy the worker gave
     * up is removed by the worker itself.
     */
    synchronized boolean claimDrop(int level, long now) {
        if (removedFlag()) {
            return true;
        }
        if ((residency & (1 << level)) == 0) {
            return busy() == 0;
        }
        if (pins > 0 || leaseUntilNanos > now) {
            return false;
        }
        state |= releasing(level);
        return true;
    }

    /** Reads of the block since it entered the store (a flash admission filter asks for it). */
    long hits() {
        return hits;
    }

    void recordHit(long now) {
        HITS.getAndUpdate(this, h -> h == Integer.MAX_VALUE ? h : h + 1);
        lastAccessNanos = now;
    }

    /** Store-clock time of the block's last read, or of its arrival if it was never read. */
    long lastAccessNanos() {
        return lastAccessNanos;
    }

    BlockInfo info(String tier, long now) {
        return new BlockInfo(meta, tier, pins(), leaseUntilNanos > now, hits, lastAccessNanos);
    }
}
