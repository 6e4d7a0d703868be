package io.kvstore.core.store;

import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.TierDropListener;

/**
 * What the store tells a tier that drops blocks on its own (the NVMe tier reclaiming a segment, the remote tier
 * finding a block evicted by Redis): a pinned or leased block may not go ({@link #mayDrop}: the tier keeps it,
 * within its bounds), and a dropped block's copy leaves the directory and the level's policy ({@link #dropped}).
 */
final class TierDrops implements TierDropListener {

    private final Level level;
    private final Directory directory;
    private final Mover mover;
    private final NanoClock clock;

    TierDrops(Level level, Directory directory, Mover mover, NanoClock clock) {
        this.level = level;
        this.directory = directory;
        this.mover = mover;
        this.clock = clock;
    }

    @Override
    public boolean mayDrop(BlockKey key) {
        Entry e = directory.get(key);
        return e == null || !e.held(clock.nanoTime());
    }

    @Override
    public void dropped(BlockKey key) {
        Entry e = directory.get(key);
        if (e != null && mover.drop(level, e, true) != Entry.MoveOutcome.GONE) {
            level.tierDropped.increment();
        }
    }
}
