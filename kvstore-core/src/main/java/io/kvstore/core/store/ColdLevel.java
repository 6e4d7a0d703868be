package io.kvstore.core.store;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.Tier;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The level whose blocks the directory need not remember: a tier that evicts itself, keeps its own index in memory
 * and is not shared (the NVMe tier with {@code nvmePolicy=tier}, whose level keeps no policy state). A block whose
 * only copy is there and that nothing holds (no worker, pin, lease or queued promotion) leaves the {@link Directory}
 * ({@link #forget}); the tier's index is then the only record of it, as in a flash cache (CacheLib's hybrid cache
 * keeps full items in DRAM only). That takes the entry (48 bytes) and its directory slot (about 14) away from every
 * such block: for a flash tier of millions of blocks, most of the store's metadata.
 *
 * <h2>Finding a forgotten block</h2>
 * Every operation that misses the directory asks this class ({@link #resolve}): if the tier holds the key in the
 * caller's namespace, a new entry recording the copy there is claimed in the directory (or the entry another thread
 * claimed first is used) and the operation goes on as for any cached block: a get reads it and may promote it, a
 * lookup leases it, a pin pins it, a delete removes it. Such an entry is forgotten again by the next {@link #sweep}
 * once it has been idle for {@link #IDLE_NANOS} (the store's own thread sweeps every second, {@code
 * TieredStoreBuilder.coldSweepInterval}); a block demoted into the level is forgotten as soon as its move ends. A put of a key the tier holds answers ALREADY_PRESENT, as it would with the entry in the directory
 * ({@link #present}, asked after the put claimed the key, so a block forgotten meanwhile is seen).
 *
 * <h2>Races</h2>
 * An entry is forgotten under its own monitor, in the same step that checks that nothing holds it ({@link
 * Entry#forget}), and taken out of the directory right after, with no I/O in between; whoever meets it in that window
 * waits for it to go (a few instructions) and resolves the key again. A lease or pin taken on a resolved entry and the
 * tier's claim of its drop ({@code TierDropListener.claimDrop}) meet on that entry's monitor: the claim either sees
 * the lease (the tier keeps the block) or gives the copy up first (the lease finds no copy to protect and the lookup
 * counts a miss). A resolved entry whose block the tier dropped between the index read and the claim is found by a
 * second look after the claim ({@code Tier.confirm}, ordered with the tier's claimed drops) and taken out; a drop
 * claimed after that second look finds the entry. So a lease a lookup reports protects a copy: the tier drops no
 * leased or pinned block, with an entry or not, unless it must to stay within its capacity (the NVMe tier's forced
 * drops). NvmeLeaseRaceTest: before the claim, a lease taken between the tier's question and its drop was lost, 12
 * and 14 of about 70,000 leases on the oldest segments' blocks in two 15-second runs; none since. A tier that drops a
 * block with no entry tells the store with its metadata ({@link TierDrops}), so the eviction is counted and its event
 * emitted as for any other block. A put of a forgotten block holds its key for a moment before it answers
 * ALREADY_PRESENT; a get of that key in that moment misses, as a get of a block being put for the first time does.
 *
 * <p>Thread-safe. With no such level every method answers as if the tier held nothing.
 */
final class ColdLevel {

    /** A resolved entry stays in the directory at least this long after its last access. */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Directory directory;
    private final Level level;
    private final NanoClock clock;
    /** Resolved entries and others left on the level alone while held: what {@link #sweep} looks at. */
    private final ConcurrentLinkedQueue<Entry> watched = new ConcurrentLinkedQueue<>();

    private ColdLevel(Directory directory, Level level, NanoClock clock) {
        this.directory = directory;
        this.level = level;
        this.clock = clock;
    }

    /**
     * The cold level of {@code levels}: the last level (or the only one), if its tier evicts itself, is not shared and its policy keeps
     * no state ({@code TierManagedPolicy}); else a ColdLevel that never forgets.
     */
    static ColdLevel of(Directory directory, List<Level> levels, NanoClock clock, boolean enabled) {
        Level last = levels.get(levels.size() - 1);
        boolean cold = enabled && last.tier.evictsItself() && !last.tier.shared()
                && last.gate.tracksNothing();
        return new ColdLevel(directory, cold ? last : null, clock);
    }

    /** True if the store has a cold level. */
    boolean any() {
        return level != null;
    }

    /** True if {@code l} is the cold level. */
    boolean is(Level l) {
        return level != null && level == l;
    }

    /** The tier's metadata of {@code key} if it holds the block in namespace {@code ns}; null if not. No I/O. */
    BlockMeta held(long ns, BlockKey key) {
        BlockMeta m = present(key);
        return m != null && m.namespaceId() == ns ? m : null;
    }

    /** The tier's metadata of {@code key} in any namespace, or null. No I/O. */
    BlockMeta present(BlockKey key) {
        return level == null ? null : level.tier.meta(key).orElse(null);
    }

    /** The cold level's name, or null. */
    String name() {
        return level == null ? null : level.name();
    }

    /**
     * The live entry of {@code key} (readable or not; the caller checks the namespace and residency), or, if the
     * directory has none and the tier holds the block in namespace {@code ns}, a new entry recording that copy, claimed
     * in the directory. Null if neither. No I/O; never waits but for an entry being forgotten (a few instructions).
     */
    Entry resolve(long ns, BlockKey key) {
        for (int spins = 0; ; spins++) {
            Entry e = directory.get(key);
            if (e != null) {
                if (!e.forgotten()) {
                    return e;
                }
                Backoff.pause(spins); // being taken out of the directory right now
                continue;
            }
            BlockMeta m = held(ns, key);
            if (m == null) {
                return null;
            }
            Entry fresh = new Entry(m, false, clock.nanoTime());
            fresh.publish(level.index);
            fresh.enter();
            Entry prev = directory.tryClaim(fresh);
            if (prev != null) { // claimed by another thread meanwhile (or a removed entry is finishing): look again
                fresh.exit();
                Backoff.pause(spins);
                continue;
            }
            if (!level.tier.confirm(key)) { // dropped by the tier between the two looks: no copy to record
                fresh.remove();
                directory.exit(fresh);
                return null;
            }
            directory.exit(fresh);
            watched.add(fresh);
            return fresh;
        }
    }

    /**
     * Forgets {@code e} if its only copy is at the cold level and nothing holds it; true if it did. Called when a
     * move into the level ends; entries it cannot forget now are left to {@link #sweep}.
     */
    boolean forget(Entry e) {
        if (level == null || e.residency() != 1 << level.index) {
            return false;
        }
        if (!forgetNow(e, 1 << level.index, clock.nanoTime())) {
            watched.add(e);
            return false;
        }
        return true;
    }

    /** Forgets {@code e} and takes it out of the directory if nothing holds it and its one copy is at {@code bit}. */
    private boolean forgetNow(Entry e, int bit, long now) {
        if (!e.forget(bit, now)) {
            return false;
        }
        directory.release(e);
        return true;
    }

    /** Notes an entry that may be forgotten later (a block written straight into the cold level). */
    void watch(Entry e) {
        if (level != null) {
            watched.add(e);
        }
    }

    /**
     * Forgets the watched entries that have been idle for {@link #IDLE_NANOS} with their only copy at the cold level;
     * keeps watching those still held there; lets go of the others (a block promoted up is watched again when its
     * move back down ends). Returns the number forgotten. Called by the store's sweeper about once a second.
     */
    int sweep() {
        if (level == null) {
            return 0;
        }
        long now = clock.nanoTime();
        int bit = 1 << level.index;
        int n = watched.size();
        int done = 0;
        for (int i = 0; i < n; i++) {
            Entry e = watched.poll();
            if (e == null) {
                break;
            }
            if (e.removed() || e.residency() != bit) {
                continue; // gone, or a copy above: not cold now
            }
            if (now - e.lastAccessNanos() >= IDLE_NANOS && forgetNow(e, bit, now)) {
                done++;
            } else {
                watched.add(e);
            }
        }
        return done;
    }

    /**
     * Blocks the cold tier holds that the directory has no entry for: the tier's count less the live entries with a
     * copy there (a walk of the directory, which holds about the blocks in memory). Exact when no operation is in
     * flight, an estimate otherwise. A counter kept by forget and resolve was tried first and drifted: a delete that
     * removed a block an entry was being made for counted it neither way (ConcurrentStoreStressTest).
     */
    long forgottenCount() {
        if (level == null) {
            return 0;
        }
        int bit = 1 << level.index;
        long withEntry = directory.count(e -> (e.residency() & bit) != 0 && !e.forgotten());
        return Math.max(0, level.tier.blockCount() - withEntry);
    }

    /** Visits the metadata of every block the cold tier holds, with an entry or not. */
    void forEachHeld(Consumer<BlockMeta> visitor) {
        if (level != null) {
            level.tier.forEach(visitor);
        }
    }
}
