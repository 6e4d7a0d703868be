package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.ReadResult;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Promotion of hits: a block read from a lower level is copied into the nearest level above that takes promotions,
 * on the {@code promotions} executor (in the daemon a small bounded pool, so that a hit served on an event loop
 * never copies or demotes there, and a full pool skips the promotion; in the simulator the calling thread). The
 * block moves up, except out of a level that {@link TierSpec#keepsPromotedCopies() keeps promoted copies}: there the
 * lower copy stays, so the block is clean above and demoting it again writes nothing. Out of such a level a hit is
 * promoted only as often as the copies promoted earn hits above ({@link PromotionYield}); whether a promotion is
 * admitted is then the upper level's policy's decision ({@link Mover#place}); one promotion per block at a time.
 *
 * <p>A promotion reads the block again when it runs rather than holding the bytes its hit read: tried, holding the
 * get's handle made promotions cheaper and so more frequent (13,818 against 5,758 in a full agent run, no better hit
 * ratio, more demotions) and kept NVMe read buffers out of their pool, whose replacements showed as swings of up to
 * 190 MB in the daemon's direct memory in the soak (docs/architecture.md, "Get and promotion").
 */
final class Promoter {

    private final Directory directory;
    private final List<Level> levels;
    private final StoreEvents events;
    private final Mover mover;
    private final Executor promotions;

    Promoter(Directory directory, List<Level> levels, StoreEvents events, Mover mover, Executor promotions) {
        this.directory = directory;
        this.levels = levels;
        this.events = events;
        this.mover = mover;
        this.promotions = promotions;
    }

    /** The nearest level above {@code from} that takes promotions, or null. */
    Level promotionTarget(Level from) {
        for (int i = from.index - 1; i >= 0; i--) {
            if (levels.get(i).spec.takesPromotions()) {
                return levels.get(i);
            }
        }
        return null;
    }

    /**
     * After a hit at {@code from}: schedules the promotion of {@code e}, unless one is queued, none applies, or
     * {@code from} keeps promoted copies and its promotions are not earning their cost ({@link PromotionYield}).
     */
    void promoteLater(Entry e, Level from) {
        Level to = promotionTarget(from);
        if (to == null || !e.tryStartPromotion(from.index)) {
            return;
        }
        if (keepsCopies(from) && !from.promotionYield.admits(e.meta.key())) {
            e.endPromotion();
            return;
        }
        try {
            promotions.execute(() -> {
                if (!e.enterUnlessRemoved()) { // deleted or evicted while the promotion waited
                    e.endPromotion();
                    return;
                }
                try {
                    promote(e, from, to);
                } finally {
                    directory.exit(e);
                }
            });
        } catch (RejectedExecutionException full) {
            e.endPromotion(); // best effort: the block stays where it is
        }
    }

    /** True if a block promoted out of {@code level} keeps its copy there. */
    private static boolean keepsCopies(Level level) {
        return level.spec.keepsPromotedCopies() && !level.tier.shared();
    }

    /**
     * A hit at {@code level}: if a level below still holds a copy of the block (the nearest, which promoted it),
     * the hit is one its promotion earned.
     */
    void hitAt(Entry e, Level level) {
        int below = e.residency() >>> (level.index + 1);
        if (below != 0) {
            levels.get(level.index + 1 + Integer.numberOfTrailingZeros(below)).promotionYield.copyHit();
        }
    }

    private void promote(Entry e, Level from, Level to) {
        BlockKey key = e.meta.key();
        boolean published = false;
        try {
            ReadResult r = from.tier.read(key);
            if (!r.isHit()) {
                return; // moved, dropped or corrupt meanwhile (a get will find out)
            }
            PutStatus s;
            try (BlockHandle h = r.handle()) {
                s = mover.place(to, e, h.payload());
            }
            if (s != PutStatus.STORED) {
                return;
            }
            boolean shared = from.tier.shared();
            boolean keep = keepsCopies(from);
            published = true;
            switch (e.finishPromotion(from.index, to.index, keep)) {
                case MOVED -> {
                    from.gate.onRemove(key);
                    if (shared) { // other daemons keep finding a shared copy; this store just stops recording it
                        e.released(from.index);
                    } else {
                        Mover.release(from, e);
                    }
                    promoted(e, from, to);
                }
                case KEPT -> {
                    from.promotionYield.promoted();
                    promoted(e, from, to);
                }
                default -> {
                    to.tier.remove(key);
                    to.gate.onRemove(key);
                }
            }
        } finally {
            if (!published) {
                e.endPromotion();
            }
        }
    }

    private void promoted(Entry e, Level from, Level to) {
        to.promotedIn.increment();
        to.promotedInBytes.add(e.meta.length());
        events.emit(StoreEvent.Type.PROMOTED, e.meta, from, to, null);
    }
}
