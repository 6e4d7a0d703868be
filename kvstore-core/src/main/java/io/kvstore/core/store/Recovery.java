package io.kvstore.core.store;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.Tier;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Rebuilds the directory and the policies from what the tiers hold when a store opens (persistent tiers,
 * restarts). Runs once, before any other thread sees the store.
 *
 * <p>A block found in two local tiers keeps both copies (the lower one is clean, as after a promotion out of a
 * persistent tier). Blocks are visited parents first; a block whose parent is cached nowhere (its parent lived
 * in a tier that did not survive, e.g. DRAM after a reboot) can never be part of a prefix hit again, so it is
 * dropped and counted rather than kept as dead weight. Shared tiers are not imported: they are found on demand,
 * and with one present a missing parent may live there, so no orphan is dropped. Blocks only the cold level holds
 * get no entry ({@link ColdLevel}): the tier's index is their record, so a store reopens without an entry for each.
 */
final class Recovery {

    private Recovery() {
    }

    /** Fills {@code directory} from the local tiers; returns the number of orphans dropped. */
    static long rebuild(Directory directory, List<Level> levels, Mover mover, NanoClock clock, boolean anyShared,
                        ColdLevel cold) {
        long now = clock.nanoTime();
        record Found(BlockMeta meta, Level level) {
        }
        List<Found> found = new ArrayList<>();
        for (Level level : levels) {
            if (!level.tier.shared()) {
                level.tier.forEach(m -> found.add(new Found(m, level)));
            }
        }
        found.sort(Comparator.comparingInt((Found f) -> f.meta().position()).thenComparingInt(f -> f.level().index));
        long orphans = 0;
        for (Found f : found) {
            BlockMeta m = f.meta();
            Level level = f.level();
            Tier tier = level.tier;
            BlockKey key = m.key();
            Entry e = directory.get(key);
            if (e == null && !anyShared && m.position() > 0 && directory.readable(m.namespaceId(), m.parent()) == null
                    && cold.held(m.namespaceId(), m.parent()) == null) {
                tier.remove(key);
                orphans++;
                continue;
            }
            if (e == null && cold.is(level)) {
                continue; // only there: the tier's index is its record (ColdLevel)
            }
            if (e != null && e.meta.namespaceId() != m.namespaceId()) {
                tier.remove(key); // a copy that contradicts the one above
                continue;
            }
            Entry target = e != null ? e : new Entry(m, false, now);
            if (level.gate.admit(mover.candidate(level, target), Long.MAX_VALUE, Long.MAX_VALUE, k -> false) == null) {
                tier.remove(key); // the policy will not keep it
                continue;
            }
            if (e == null) {
                directory.claim(target);
            }
            target.publish(level.index);
        }
        for (Level level : levels) {
            long committed = level.gate.weightedSize();
            if (committed > level.highBytes) {
                mover.evict(level, committed - level.lowBytes, null);
            }
        }
        return orphans;
    }
}
