package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.ReadResult;

import java.util.List;

/**
 * The part of the store that deals with shared tiers (a remote tier many daemons use), whose contents change
 * behind the store's back: the directory is not the whole truth about them. A get or lookup that misses the
 * directory asks them (network I/O: callers run these on a blocking thread, never an event loop); a get hit there
 * is copied into the local level above and recorded there only; a miss at a shared level the directory recorded
 * drops the stale record.
 */
final class SharedTiers {

    private final Directory directory;
    private final List<Level> levels;
    private final Mover mover;
    private final Promoter promoter;
    private final StoreEvents events;
    private final NanoClock clock;
    private final boolean any;

    SharedTiers(Directory directory, List<Level> levels, Mover mover, Promoter promoter, StoreEvents events,
                NanoClock clock) {
        this.directory = directory;
        this.levels = levels;
        this.mover = mover;
        this.promoter = promoter;
        this.events = events;
        this.clock = clock;
        this.any = levels.stream().anyMatch(l -> l.tier.shared());
    }

    /** True if the store has a shared level: misses must then ask it, which may do network I/O. */
    boolean any() {
        return any;
    }

    /** The first shared level that holds {@code key} in this namespace; null if none. */
    Level holding(long namespaceId, BlockKey key) {
        for (Level l : levels) {
            if (l.tier.shared() && l.tier.meta(key).filter(m -> m.namespaceId() == namespaceId).isPresent()) {
                return l;
            }
        }
        return null;
    }

    /** A get the directory could not answer: reads the shared tiers, top first, and copies a hit up. */
    GetResult get(long namespaceId, BlockKey key) {
        for (Level level : levels) {
            if (!level.tier.shared()) {
                continue;
            }
            ReadResult r = level.tier.read(key);
            if (r.outcome() == ReadResult.Outcome.CORRUPT) {
                level.corrupt.increment(); // the tier dropped it; no directory entry to fix
                continue;
            }
            if (!r.isHit()) {
                continue;
            }
            BlockHandle h = r.handle();
            if (h.meta().namespaceId() != namespaceId) {
                h.close();
                return GetResult.MISS;
            }
            try {
                adopt(level, h);
            } catch (RuntimeException | Error ex) {
                h.close();
                throw ex;
            }
            return new GetResult(h, level.name());
        }
        return GetResult.MISS;
    }

    private void adopt(Level level, BlockHandle handle) {
        BlockMeta meta = handle.meta();
        level.hits.increment();
        events.emit(StoreEvent.Type.HIT, meta, level, null, null);
        Level target = promoter.promotionTarget(level);
        if (target == null) {
            return;
        }
        Entry fresh = new Entry(meta, false, clock.nanoTime());
        fresh.enter();
        try {
            if (directory.claim(fresh) != null) {
                return; // a concurrent put or get already placed it
            }
            if (mover.place(target, fresh, handle.payload()) != PutStatus.STORED) {
                fresh.remove();
            } else if (fresh.publish(target.index)) {
                fresh.recordHit(clock.nanoTime());
                target.promotedIn.increment();
                target.promotedInBytes.add(meta.length());
                events.emit(StoreEvent.Type.PROMOTED, meta, level, target, null);
            } else { // deleted while it was being written
                target.tier.remove(meta.key());
                target.gate.onRemove(meta.key());
            }
        } finally {
            directory.exit(fresh);
        }
    }

    /** Drops the record of a block a shared tier no longer has (evicted or deleted by another daemon). */
    void forgetVanished(Entry seen, Level level) {
        if (mover.drop(level, seen, true) == Entry.MoveOutcome.DROPPED_LAST) {
            level.tierDropped.increment();
        }
    }
}
