package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.ReadResult;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Promotion of hits: a block read from a lower level is copied into the nearest level above that takes promotions,
 * on the {@code promotions} executor (in the daemon a small bounded pool, so that a hit served on an event loop
 * never copies or demotes there, and a full pool skips the promotion; in the simulator the calling thread). The
 * block moves up, except out of a level that {@link TierSpec#keepsPromotedCopies() keeps promoted copies}: there the
 * lower copy stays, so the block is clean above and demoting it again writes nothing. Whether a hit is promoted at
 * all is the upper level's policy's admission decision ({@link Mover#place}); one promotion per block at a time.
 *
 * <p>The promotion copies from the payload the hit just read (the get's own handle, retained) instead of reading the
 * block from its level a second time: for an NVMe hit that is one device read and one checksum pass less per
 * promotion. Those held payloads are bounded ({@link #HELD_BYTES_LIMIT} while they wait for the promotion thread);
 * beyond that a promotion reads the block again when it runs, as before.
 */
final class Promoter {

    /** Bytes of read payloads that queued promotions may hold; beyond it they read the block again when they run. */
    static final long HELD_BYTES_LIMIT = 64L << 20;

    private final Directory directory;
    private final List<Level> levels;
    private final StoreEvents events;
    private final Mover mover;
    private final Executor promotions;
    private final AtomicLong heldBytes = new AtomicLong();

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
     * After a hit at {@code from}: schedules the promotion of {@code e}, unless one is running or none applies.
     * {@code read} is the payload the hit read (null: none); the caller keeps its own handle.
     */
    void promoteLater(Entry e, Level from, BlockHandle read) {
        Level to = promotionTarget(from);
        if (to == null || !e.tryStartPromotion(from.index)) {
            return;
        }
        BlockHandle held = hold(read);
        try {
            promotions.execute(() -> {
                try {
                    if (!e.enterUnlessRemoved()) { // deleted or evicted while the promotion waited
                        e.endPromotion();
                        return;
                    }
                    try {
                        promote(e, from, to, held);
                    } finally {
                        directory.exit(e);
                    }
                } finally {
                    letGo(held);
                }
            });
        } catch (RejectedExecutionException full) {
            letGo(held);
            e.endPromotion(); // best effort: the block stays where it is
        }
    }

    /** Bytes of read payloads queued promotions hold now. */
    long heldBytes() {
        return heldBytes.get();
    }

    /** A handle of its own on {@code read}, or null if there is none or {@link #HELD_BYTES_LIMIT} is reached. */
    private BlockHandle hold(BlockHandle read) {
        if (read == null) {
            return null;
        }
        long len = read.meta().length();
        if (heldBytes.addAndGet(len) > HELD_BYTES_LIMIT) {
            heldBytes.addAndGet(-len);
            return null;
        }
        try {
            return read.retain();
        } catch (IllegalStateException closed) {
            heldBytes.addAndGet(-len);
            return null;
        }
    }

    private void letGo(BlockHandle held) {
        if (held != null) {
            heldBytes.addAndGet(-held.meta().length());
            held.close();
        }
    }

    private void promote(Entry e, Level from, Level to, BlockHandle held) {
        BlockKey key = e.meta.key();
        boolean published = false;
        try {
            BlockHandle h;
            if (held != null) {
                h = held.retain(); // the bytes the hit read: a block's payload never changes under its key
            } else {
                ReadResult r = from.tier.read(key);
                if (!r.isHit()) {
                    return; // moved, dropped or corrupt meanwhile (a get will find out)
                }
                h = r.handle();
            }
            PutStatus s;
            try (h) {
                s = mover.place(to, e, h.payload());
            }
            if (s != PutStatus.STORED) {
                return;
            }
            boolean shared = from.tier.shared();
            boolean keep = from.spec.keepsPromotedCopies() && !shared;
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
                case KEPT -> promoted(e, from, to);
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
