package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.policy.Candidate;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Puts bytes into levels and moves them down: admission and room-making for a write, demotion of victims, and
 * drops.
 *
 * <p>Every move follows one order, so that a block is readable from some level at every moment until it is
 * deliberately dropped: <em>reserve</em> (the target's policy admits the block, which counts its bytes at once;
 * victims are chosen and marked in the same short step under the target's {@link PolicyGate}), <em>copy</em>
 * (read the source, write the target: I/O, in the calling thread, under no lock at all), <em>publish</em> (one
 * step on the block's {@link Entry} records the new copy and releases the old one, checking pins, leases and
 * deletes made meanwhile), <em>release</em> (the source tier forgets the bytes; a reader holding a handle keeps
 * them). Writers thus make room for themselves, each in its own thread, beside every other writer and reader.
 *
 * <p>With a {@code demoter} executor, the victims a write chooses in a level that has a level below are not moved
 * by the writer: they are queued for up to {@code maxDemoters} demoter tasks, and the write goes on as soon as its
 * own bytes fit. A level then needs headroom (a high watermark under 1) for victims on their way down, and a
 * writer that finds no room takes queued victims and moves them itself, so demoters that fall behind slow the
 * writers down (backpressure) instead of failing them. Without a demoter (the simulator, most tests) every move
 * happens in the thread that caused it, deterministically.
 *
 * <p>Promotions of hits ({@link Promoter}) write through {@link #place} too; writes in place ({@link Reservations})
 * through {@link #write}.
 */
final class Mover {

    /** Writes retried while the tier is full of victims other writers are still moving out. */
    private static final int PUT_ATTEMPTS = 200;
    private static final long PUT_RETRY_PARK_NANOS = 50_000;

    private static final System.Logger LOG = System.getLogger(Mover.class.getName());

    private final Directory directory;
    /** Told when a move into the cold level ends, so that the moved block's entry is forgotten. */
    private final ColdLevel cold;
    private final List<Level> levels;
    private final NanoClock clock;
    private final StoreEvents events;
    /** Runs demoter tasks, or null: every victim is moved by the thread that chose it. */
    private final Executor demoter;
    private final int maxDemoters;
    private volatile boolean stopping;

    Mover(Directory directory, List<Level> levels, NanoClock clock, StoreEvents events, Executor demoter,
          int maxDemoters, ColdLevel cold) {
        this.directory = directory;
        this.cold = cold;
        this.levels = levels;
        this.clock = clock;
        this.events = events;
        this.demoter = demoter;
        this.maxDemoters = maxDemoters;
    }

    // --------------------------------------------------------------------------------------------------- writes

    /**
     * Stores a new block ({@code fresh}, claimed in the directory by the caller and entered once) in the first level
     * that accepts writes and admits it, and publishes the copy; a level whose policy refuses it passes it on. Ends
     * the caller's turn on the entry; a block stored nowhere frees its key again.
     */
    PutResult admit(Entry fresh, ByteBuffer payload) {
        return admit(fresh, payload, 0);
    }

    /** {@link #admit(Entry, ByteBuffer)} into the levels from {@code fromLevel} down. */
    PutResult admit(Entry fresh, ByteBuffer payload, int fromLevel) {
        BlockMeta meta = fresh.meta;
        PutStatus worst = null;
        boolean stored = false;
        try {
            for (Level level : levels.subList(fromLevel, levels.size())) {
                if (!level.spec.acceptsWrites()) {
                    continue;
                }
                PutStatus s = place(level, fresh, payload);
                if (s == PutStatus.STORED) {
                    stored = true;
                    return published(level, fresh);
                }
                worst = refused(level, meta, s, worst);
            }
        } finally {
            if (!stored) {
                fresh.remove(); // not stored anywhere (or a tier failed): the key is free again
            }
            directory.exit(fresh);
            if (stored) {
                cold.forget(fresh); // moved on to the cold level while this put still held it: forget it now
            }
        }
        return new PutResult(worst == null ? PutStatus.NO_CAPACITY : worst, null);
    }

    /** Counts a level's refusal and returns the worst status so far (the lowest ordinal). */
    PutStatus refused(Level level, BlockMeta meta, PutStatus s, PutStatus worst) {
        if (s == PutStatus.REJECTED) {
            level.rejected.increment();
            events.emit(StoreEvent.Type.REJECTED, meta, level, null, level.gate.name());
        }
        return worst == null || s.ordinal() < worst.ordinal() ? s : worst;
    }

    /** Publishes a new block's copy just written at {@code level}: the entry, the counters, the event. */
    PutResult published(Level level, Entry fresh) {
        BlockMeta meta = fresh.meta;
        if (!fresh.publish(level.index)) { // deleted while it was being written
            level.tier.remove(meta.key());
            level.gate.onRemove(meta.key());
            return new PutResult(PutStatus.STORED, null);
        }
        level.admitted.increment();
        level.admittedBytes.add(meta.length());
        events.emit(StoreEvent.Type.ADMITTED, meta, level, null, level.gate.name());
        if (cold.is(level)) {
            cold.watch(fresh); // written straight to the cold level: forgotten once idle
        }
        return new PutResult(PutStatus.STORED, level.name());
    }

    /**
     * Deletes the block: every copy leaves its tier and its policy (with {@code mayWait} false the policy hears it
     * without waiting for its lock: now if free, else from the lock's next holder). NOT_FOUND if it went meanwhile.
     */
    PinStatus delete(Entry e, boolean mayWait) {
        BlockKey key = e.meta.key();
        int copies;
        e.enter(); // until every copy is gone from its tier, nobody may retire the entry (a new one would follow)
        try {
            copies = e.remove();
            if (copies < 0) {
                return PinStatus.NOT_FOUND; // dropped or deleted by another thread after it was found
            }
            for (Level level : levels) {
                if ((copies & (1 << level.index)) != 0) {
                    if (mayWait) {
                        level.gate.onRemove(key);
                    } else {
                        level.gate.onRemoveWithoutWaiting(key);
                    }
                    level.tier.remove(key);
                }
            }
        } finally {
            directory.exit(e);
        }
        int top = copies == 0 ? 0 : Integer.numberOfTrailingZeros(copies);
        events.emit(StoreEvent.Type.DELETED, e.meta, levels.get(top), null, null);
        return PinStatus.DELETED;
    }

    /**
     * Writes {@code e}'s block into {@code level}: admission, room (demoting this level's victims in this
     * thread), then the write. Does not publish the copy; the caller does (or undoes it).
     */
    PutStatus place(Level level, Entry e, ByteBuffer payload) {
        return write(level, e, () -> level.tier.put(e.meta, payload), true);
    }

    /** True if {@code write(.., mayWait=false)} at {@code level} needs no I/O: its victims go to the demoters. */
    boolean writesWithoutWaiting(Level level) {
        return level.index + 1 < levels.size() ? demoter != null : level.tier.reservesInPlace();
    }

    /**
     * Admission and room at {@code level} for {@code e}'s block, then {@code attempt} (a tier put or reservation),
     * retried while the tier is full of victims on their way out. With {@code mayWait} false (an event loop, a level
     * that {@link #writesWithoutWaiting}) it waits neither for the policy's lock nor for room: null instead, nothing
     * changed but victims queued for the demoters.
     */
    PutStatus write(Level level, Entry e, Supplier<PutOutcome> attempt, boolean mayWait) {
        Tier tier = level.tier;
        BlockKey key = e.meta.key();
        long fp = tier.footprint(e.meta.length());
        if (fp > tier.capacityBytes()) {
            return PutStatus.TOO_LARGE;
        }
        Victims marker = new Victims(level, key);
        Candidate<BlockKey> c = candidate(level, e);
        List<BlockKey> victims = mayWait ? level.gate.admit(c, level.highBytes, level.lowBytes, marker)
                : level.gate.tryAdmit(c, level.highBytes, level.lowBytes, marker);
        if (victims == PolicyGate.BUSY) {
            return null;
        }
        if (victims == null) {
            return PutStatus.REJECTED;
        }
        demoteOrQueue(level, marker.chosen(victims));
        e.awaitReleased(level.index); // a copy this block left here a moment ago is still being removed
        PutOutcome o = attempt.get();
        if (o == PutOutcome.NO_CAPACITY && !mayWait) { // room comes only as the demoters catch up: not here
            level.gate.onRemoveWithoutWaiting(key);
            return null;
        }
        for (int tries = 1; o == PutOutcome.NO_CAPACITY && tries < PUT_ATTEMPTS; ) {
            Entry queued = level.demotions.poll();
            if (queued != null) { // the demoters are behind: move one of the queued victims in this thread
                moveCounted(level, queued);
            } else {
                tries++;
                if (level.movesInFlight.get() > 0) {
                    LockSupport.parkNanos(PUT_RETRY_PARK_NANOS); // other writers' victims are on their way out
                } else if (!evict(level, fp, key)) { // fragmented or miscounted: free more than the block
                    break;
                }
            }
            o = attempt.get();
        }
        if (o == PutOutcome.ALREADY_PRESENT && tier.shared()) {
            o = PutOutcome.STORED; // another daemon (or an earlier promotion, which copies) left it there
        } else if (o == PutOutcome.ALREADY_PRESENT) {
            // the tier holds a copy the directory does not know (left over by a crash): replace it
            tier.remove(key);
            o = attempt.get();
        }
        if (o == PutOutcome.STORED) {
            return PutStatus.STORED;
        }
        level.gate.onRemove(key);
        return switch (o) {
            case NO_CAPACITY -> PutStatus.NO_CAPACITY;
            case TOO_LARGE -> PutStatus.TOO_LARGE;
            default -> PutStatus.FAILED;
        };
    }

    // ------------------------------------------------------------------------------------------------- demotion

    /**
     * Chooses victims worth at least {@code bytes} at {@code level} (never {@code keep}) and moves them out in
     * this thread; false if there was nothing to choose.
     */
    boolean evict(Level level, long bytes, BlockKey keep) {
        Victims marker = new Victims(level, keep);
        List<Entry> chosen = marker.chosen(level.gate.evict(bytes, marker));
        moveOut(level, chosen);
        return !chosen.isEmpty();
    }

    /** Moves every victim one level down or drops it; they were marked moving (and entered) when chosen. */
    void moveOut(Level from, List<Entry> victims) {
        for (Entry v : victims) {
            from.movesInFlight.incrementAndGet();
            moveCounted(from, v);
        }
    }

    /** Moves one victim already counted in {@code movesInFlight}, and ends its turn on the entry. */
    private void moveCounted(Level from, Entry v) {
        try {
            demoteOrDrop(from, v);
        } finally {
            from.movesInFlight.decrementAndGet();
            directory.exit(v);
        }
        cold.forget(v); // if its one copy is now on the cold level
    }

    /** Moves the victims now, or queues them for the demoters if there are some and a level below to move to. */
    private void demoteOrQueue(Level from, List<Entry> victims) {
        if (demoter == null || from.index + 1 >= levels.size() || victims.isEmpty()) {
            moveOut(from, victims);
            return;
        }
        for (Entry v : victims) {
            from.movesInFlight.incrementAndGet();
            from.demotions.add(v);
        }
        startDemoters(from);
    }

    /** Starts demoter tasks on {@code from}'s queue, up to {@code maxDemoters} at once. */
    private void startDemoters(Level from) {
        for (int n; (n = from.demoters.get()) < maxDemoters && !from.demotions.isEmpty(); ) {
            if (from.demoters.compareAndSet(n, n + 1)) {
                try {
                    demoter.execute(() -> demote(from));
                } catch (RejectedExecutionException closed) {
                    from.demoters.decrementAndGet();
                    return; // the writers that need the room move the queued victims themselves
                }
            }
        }
    }

    /** A demoter task: moves queued victims until the queue is empty (or the store stops). */
    private void demote(Level from) {
        for (; ; ) {
            for (Entry v; !stopping && (v = from.demotions.poll()) != null; ) {
                try {
                    moveCounted(from, v);
                } catch (RuntimeException ex) { // a tier failed: the victim stays where it is
                    from.demotionFailures.increment();
                    if (!stopping) {
                        LOG.log(System.Logger.Level.WARNING, "demoting a block out of " + from.name() + " failed", ex);
                    }
                }
            }
            from.demoters.decrementAndGet();
            // a victim queued after the last poll by a writer that saw this task still running: take it too
            int n = from.demoters.get();
            if (stopping || from.demotions.isEmpty() || n >= maxDemoters || !from.demoters.compareAndSet(n, n + 1)) {
                return;
            }
        }
    }

    /** Moves every queued victim of {@code level} in this thread (before a drain: they are already chosen). */
    void demoteQueued(Level level) {
        for (Entry v; (v = level.demotions.poll()) != null; ) {
            moveCounted(level, v);
        }
    }

    /**
     * Stops the demoters: queued victims stay where they are (still readable; a persistent tier finds them
     * there at the next open), and moves under way finish, waiting at most {@code timeoutNanos}.
     */
    void stop(long timeoutNanos) {
        stopping = true;
        long deadline = System.nanoTime() + timeoutNanos;
        for (Level l : levels) {
            for (Entry v; (v = l.demotions.poll()) != null; ) {
                v.unmarkMovingOut(l.index);
                l.gate.retrack(candidate(l, v)); // its policy let it go when it was chosen
                l.movesInFlight.decrementAndGet();
                directory.exit(v);
            }
            while (l.demoters.get() > 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    private void demoteOrDrop(Level from, Entry e) {
        BlockKey key = e.meta.key();
        from.evictedBytes.add(from.tier.footprint(e.meta.length()));
        Level to = from.index + 1 < levels.size() ? levels.get(from.index + 1) : null;
        if (to != null && e.resides(to.index)) { // a clean copy below: nothing to write
            Entry.MoveOutcome o = e.finishCleanMove(from.index, to.index, clock.nanoTime());
            if (o == Entry.MoveOutcome.MOVED) {
                release(from, e);
                from.demotedOut.increment();
                from.cleanDemotions.increment();
                to.demotedIn.increment();
                events.emit(StoreEvent.Type.DEMOTED, e.meta, from, to, from.gate.name());
            } else {
                afterDrop(from, e, o, false);
            }
            return;
        }
        if (to != null) {
            ReadResult r = from.tier.read(key);
            if (r.isHit()) {
                PutStatus s;
                try (BlockHandle h = r.handle()) {
                    s = place(to, e, h.payload());
                }
                if (s == PutStatus.STORED) {
                    to.demotedInBytes.add(e.meta.length());
                    finishDemotion(from, to, e);
                    return;
                }
            } else if (r.outcome() == ReadResult.Outcome.CORRUPT) {
                from.corrupt.increment();
                events.emit(StoreEvent.Type.CORRUPT, e.meta, from, null, null);
            }
        }
        drop(from, e, false);
    }

    private void finishDemotion(Level from, Level to, Entry e) {
        BlockKey key = e.meta.key();
        switch (e.finishMove(from.index, to.index, clock.nanoTime())) {
            case MOVED -> {
                release(from, e);
                from.demotedOut.increment();
                to.demotedIn.increment();
                events.emit(StoreEvent.Type.DEMOTED, e.meta, from, to, from.gate.name());
            }
            case KEPT -> from.gate.retrack(candidate(from, e)); // pinned or leased meanwhile: it stays up here too
            default -> { // deleted meanwhile: the delete saw no copy below, so undo the one just written
                to.tier.remove(key);
                to.gate.onRemove(key);
            }
        }
    }

    /**
     * Drops the copy at {@code level}: a victim chosen there (marked moving), or with {@code force} a copy that
     * is gone already (corrupt, vanished from a shared tier, dropped by its tier). Returns what happened.
     */
    Entry.MoveOutcome drop(Level level, Entry e, boolean force) {
        Entry.MoveOutcome o;
        e.enter(); // until the copy is gone from its tier, nobody may retire the entry (a new one would follow)
        try {
            o = e.finishDrop(level.index, clock.nanoTime(), force);
            afterDrop(level, e, o, force);
        } finally {
            directory.exit(e);
        }
        if (o == Entry.MoveOutcome.COPY_DROPPED) {
            cold.forget(e); // if the copy left is on the cold level
        }
        return o;
    }

    private void afterDrop(Level level, Entry e, Entry.MoveOutcome o, boolean force) {
        switch (o) {
            case DROPPED_LAST -> {
                untrack(level, e, force); // the caller's turn on the entry ends after this: the last one out retires it
                level.evicted.increment();
                events.emit(StoreEvent.Type.EVICTED, e.meta, level, null, force ? "tier" : level.gate.name());
            }
            case COPY_DROPPED -> {
                untrack(level, e, force);
                level.copiesDropped.increment();
            }
            case KEPT -> level.gate.retrack(candidate(level, e));
            default -> {
                // deleted meanwhile, or the copy was gone already: the deleter or the first dropper cleaned up
            }
        }
    }

    private static void untrack(Level level, Entry e, boolean force) {
        if (force) {
            level.gate.onRemove(e.meta.key()); // a victim was untracked by its policy when chosen
        }
        release(level, e);
    }

    /** Removes the copy a move gave up from its tier, then lets new copies be written there. */
    static void release(Level level, Entry e) {
        try {
            level.tier.remove(e.meta.key());
        } finally {
            e.released(level.index);
        }
    }

    /**
     * What {@code level}'s policy is told about {@code e}, including whether its parent is cached in another level
     * (a lock-free look at the directory: a parent moving at this moment may be seen at either level).
     */
    Candidate<BlockKey> candidate(Level level, Entry e) {
        Entry parent = e.meta.position() == 0 ? null : directory.get(e.meta.parent());
        boolean parentElsewhere = parent != null && (parent.residency() & ~(1 << level.index)) != 0;
        return new Candidate<>(e.meta.key(), e.meta.parent(), e.meta.position(),
                level.tier.footprint(e.meta.length()), e.partial(), e.hits(), parentElsewhere);
    }

    /**
     * The policy's {@code evictable} test: a key may be a victim if its copy at this level can be marked moving
     * (it exists, is neither pinned nor leased, no other mover has it), never the block being written. Marks what
     * it approves; {@link #chosen} releases the marks of keys the policy then did not choose.
     */
    private final class Victims implements Predicate<BlockKey> {
        private final Level level;
        private final BlockKey incoming;
        private final long now = clock.nanoTime();
        private final List<Entry> marked = new ArrayList<>(4);

        Victims(Level level, BlockKey incoming) {
            this.level = level;
            this.incoming = incoming;
        }

        @Override
        public boolean test(BlockKey k) {
            if (k.equals(incoming)) {
                return false;
            }
            Entry e = directory.get(k);
            if (e != null && e.tryMarkMovingOut(level.index, now)) {
                marked.add(e);
                return true;
            }
            return false;
        }

        /** The entries of the chosen keys; releases the marks (and turns) of entries the policy passed over. */
        List<Entry> chosen(List<BlockKey> victims) {
            List<Entry> out = new ArrayList<>(victims == null ? 0 : victims.size());
            if (victims != null) {
                for (BlockKey k : victims) { // in the policy's order: children before their parents
                    for (int i = 0; i < marked.size(); i++) {
                        if (marked.get(i).meta.key().equals(k)) {
                            Entry victim = marked.remove(i);
                            level.recordEvictionAge(now - victim.lastAccessNanos());
                            out.add(victim);
                            break;
                        }
                    }
                }
            }
            for (Entry e : marked) {
                e.unmarkMovingOut(level.index);
                directory.exit(e);
            }
            marked.clear();
            return out;
        }
    }
}
