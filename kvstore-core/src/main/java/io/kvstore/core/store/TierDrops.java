package io.kvstore.core.store;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.TierDropListener;

/**
 * What the store tells a tier that drops blocks on its own (the NVMe tier reclaiming a segment, the remote tier
 * finding a block evicted by Redis): a pinned or leased block may not go ({@link #mayDrop}, and at the moment of the
 * drop {@link #claimDrop}: the tier keeps it, within its bounds), and a dropped block's copy leaves the directory and
 * the level's policy ({@link #dropped}).
 */
final class TierDrops implements TierDropListener {

    private final Level level;
    private final Directory directory;
    private final Mover mover;
    private final NanoClock clock;
    private final ColdLevel cold;
    private final StoreEvents events;

    TierDrops(Level level, Directory directory, Mover mover, NanoClock clock, ColdLevel cold, StoreEvents events) {
        this.level = level;
        this.cold = cold;
        this.events = events;
        this.directory = directory;
        this.mover = mover;
        this.clock = clock;
    }

    @Override
    public boolean mayDrop(BlockKey key) {
        Entry e = directory.live(key);
        return e == null || !e.held(clock.nanoTime());
    }

    /**
     * Gives the entry's copy here up if nothing holds it (the tier drops it next); true as well with no live entry: a
     * block only the tier's index records (the cold level) gets an entry only through {@link ColdLevel#resolve}, whose
     * {@code Tier.confirm} comes after the tier's drop and then finds nothing.
     */
    @Override
    public boolean claimDrop(BlockKey key) {
        Entry e = directory.live(key);
        return e == null || e.claimDrop(level.index, clock.nanoTime());
    }

    @Override
    public void dropped(BlockKey key) {
        Entry e = directory.live(key);
        if (e != null) {
            dropCopy(e);
        }
    }

    /**
     * {@link #dropped(BlockKey)}, and for a block the directory had forgotten (only the cold level recorded it) the
     * eviction counted and its event emitted here, as the entry's drop would have.
     */
    @Override
    public void dropped(BlockMeta meta) {
        Entry e = directory.live(meta.key());
        if (e != null) {
            dropCopy(e);
        } else if (cold.is(level)) {
            level.tierDropped.increment();
            level.evicted.increment();
            events.emit(StoreEvent.Type.EVICTED, meta, level, null, "tier");
        }
    }

    /** The entry's copy at this level is gone: out of the entry and the policy, counted. */
    private void dropCopy(Entry e) {
        if (mover.drop(level, e, true) != Entry.MoveOutcome.GONE) {
            level.tierDropped.increment();
        }
    }
}
