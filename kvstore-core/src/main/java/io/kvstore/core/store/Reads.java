package io.kvstore.core.store;

import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.ReadResult;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The read side of {@link TieredStore}: {@code get} of one block, and {@code getAll} of several.
 *
 * <p>A get finds the block's top copy in the {@link Directory} (no lock), reads it from that level's tier and, on a
 * hit, counts it, records it in the level's hit buffer and hands the promotion it earns to the {@link Promoter}: it
 * never waits for a move or a policy. A copy that moved meanwhile (a miss where the entry said it was) is looked up
 * again, up to {@link #GET_RETRIES} times; a copy missed twice where nothing moves it was lost by its tier and is
 * dropped; a corrupt one is dropped and the next copy read. A caller that may not wait for I/O names the levels
 * it may read ({@code readableHere}); a block elsewhere is then {@link GetResult#ELSEWHERE}, nothing read.
 *
 * <p>{@code getAll} takes the keys in order, in runs of consecutive keys whose copies sit at the same level, and
 * reads each run of more than one key with one {@link io.kvstore.core.tier.Tier#readAll} (an NVMe tier splits it
 * into batches read in disk order, several in flight), so that a prefix streamed out of a lower tier does not wait
 * for one device round trip per block. A key whose batched read did not hit is read again alone, as get would.
 * Thread-safe: it keeps no state of its own.
 */
final class Reads {

    private static final int GET_RETRIES = 4;
    /** Keys read together at most. */
    static final int MAX_RUN = 16;

    private final Directory directory;
    private final List<Level> levels;
    private final NanoClock clock;
    private final StoreEvents events;
    private final Mover mover;
    private final Promoter promoter;
    private final SharedTiers shared;
    private final ColdLevel cold;
    private final Runnable checkOpen;

    Reads(Directory directory, List<Level> levels, NanoClock clock, StoreEvents events, Mover mover,
          Promoter promoter, SharedTiers shared, ColdLevel cold, Runnable checkOpen) {
        this.cold = cold;
        this.directory = directory;
        this.levels = levels;
        this.clock = clock;
        this.events = events;
        this.mover = mover;
        this.promoter = promoter;
        this.shared = shared;
        this.checkOpen = checkOpen;
    }

    /** The block, read from its top copy; with {@code readableHere} only from a level it accepts. */
    GetResult get(long namespaceId, BlockKey key, Predicate<String> readableHere) {
        int lastLevel = -1;
        for (int attempt = 0; attempt < GET_RETRIES; attempt++) {
            checkOpen.run();
            Entry e = cold.resolve(namespaceId, key); // the directory's entry, or one made again for a cold block
            if (e != null && e.meta.namespaceId() != namespaceId) {
                return GetResult.MISS;
            }
            int top = e == null ? -1 : e.top();
            if (top < 0) {
                if (!shared.any()) {
                    return GetResult.MISS;
                }
                return readableHere != null ? GetResult.ELSEWHERE : shared.get(namespaceId, key);
            }
            Level level = levels.get(top);
            if (readableHere != null && !readableHere.test(level.name())) {
                return GetResult.ELSEWHERE;
            }
            ReadResult r = level.tier.read(key);
            switch (r.outcome()) {
                case HIT -> {
                    return hit(e, level, r);
                }
                case CORRUPT -> {
                    level.corrupt.increment();
                    events.emit(StoreEvent.Type.CORRUPT, e.meta, level, null, null);
                    if (mover.drop(level, e, true) != Entry.MoveOutcome.COPY_DROPPED) {
                        return GetResult.MISS; // no other copy
                    }
                }
                case MISS -> {
                    if (level.tier.shared()) {
                        shared.forgetVanished(e, level); // evicted or deleted by another daemon or the tier itself
                        return GetResult.MISS;
                    }
                    if (top == lastLevel && e.top() == top && !e.movingOut(top)) {
                        mover.drop(level, e, true); // missed twice where the entry says it is: the tier lost it
                    }
                    lastLevel = top; // else moved by a concurrent demotion or promotion, or deleted: look again
                }
            }
        }
        return GetResult.MISS;
    }

    /** A read of {@code e} at {@code level} hit: counts it, tells the policy, schedules the promotion it earns. */
    private GetResult hit(Entry e, Level level, ReadResult r) {
        e.recordHit(clock.nanoTime());
        level.hits.increment();
        level.gate.recordHit(e.meta.key());
        events.emit(StoreEvent.Type.HIT, e.meta, level, null, null);
        promoter.hitAt(e, level);
        promoter.promoteLater(e, level);
        return new GetResult(r.handle(), level.name());
    }

    /** One result per key, in order; on a failure every handle already read is closed before it propagates. */
    List<GetResult> getAll(long namespaceId, List<BlockKey> keys) {
        List<GetResult> out = new ArrayList<>(keys.size());
        try {
            for (int i = 0; i < keys.size(); ) {
                Run run = run(namespaceId, keys, i);
                if (run.entries.size() <= 1) {
                    out.add(get(namespaceId, keys.get(i), null));
                    i++;
                    continue;
                }
                Level level = levels.get(run.level); // as the run found it: a copy moved since misses, read again
                List<BlockKey> runKeys = new ArrayList<>(run.entries.size());
                for (Entry e : run.entries) {
                    runKeys.add(e.meta.key());
                }
                List<ReadResult> read = level.tier.readAll(runKeys);
                for (int k = 0; k < runKeys.size(); k++) {
                    ReadResult r = read.get(k);
                    out.add(r.isHit() ? hit(run.entries.get(k), level, r) : get(namespaceId, runKeys.get(k), null));
                }
                i += runKeys.size();
            }
            return out;
        } catch (RuntimeException | Error e) {
            for (GetResult g : out) {
                if (g.isHit()) {
                    g.handle().close();
                }
            }
            throw e;
        }
    }

    /** Consecutive keys' entries whose copies were at {@code level} when the run was formed. */
    private record Run(int level, List<Entry> entries) {
    }

    /**
     * The entries of the keys from {@code from} on whose copies sit at the same level as the first one's, at most
     * {@link #MAX_RUN}; none if the first key is not cached in this namespace (get answers it). A shared tier is
     * read one key at a time (get forgets a copy another daemon dropped).
     */
    private Run run(long namespaceId, List<BlockKey> keys, int from) {
        List<Entry> run = new ArrayList<>();
        int top = -1;
        for (int i = from; i < keys.size() && run.size() < MAX_RUN; i++) {
            Entry e = cold.resolve(namespaceId, keys.get(i));
            int t = e == null || e.meta.namespaceId() != namespaceId ? -1 : e.top();
            if (t < 0 || (top >= 0 && t != top) || levels.get(t).tier.shared()) {
                break;
            }
            top = t;
            run.add(e);
        }
        return new Run(top, run);
    }
}
