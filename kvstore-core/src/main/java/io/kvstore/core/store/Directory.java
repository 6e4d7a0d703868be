package io.kvstore.core.store;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.table.KeyedTable;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * Key to {@link Entry}: what the store holds and where. A {@link KeyedTable} (the entries themselves and their
 * keys' hashes in an open-addressing table, about 14 bytes per block beside the entry; a
 * {@code ConcurrentHashMap} cost about 40), so
 * LOOKUP, EXISTS and the locate step of GET read it without any lock, while writers and movers change entries
 * beside them.
 *
 * <p>An entry is claimed by a put before its bytes are written (so two puts of one key do not both write) and is
 * visible to readers only once a level holds a copy ({@link Entry#top()} is not -1). An entry whose last copy is
 * gone is marked removed first and taken out of the map last, by whoever removed it; a put that finds a removed
 * entry waits for that.
 */
final class Directory {

    /** Keys of a LOOKUP whose entries are found together ({@link #prefix}). */
    private static final int PREFIX_BATCH = 32;

    private final KeyedTable<BlockKey, Entry> map = new KeyedTable<>(e -> e.meta.key());

    /** The entry of {@code key}, readable or not, or null. */
    Entry get(BlockKey key) {
        return map.get(key);
    }

    /**
     * The entry of {@code key}, readable or not, unless there is none or it is being forgotten (its block lives on in
     * the cold level's tier alone: {@link ColdLevel}).
     */
    Entry live(BlockKey key) {
        Entry e = map.get(key);
        return e == null || e.forgotten() ? null : e;
    }

    /** The entry of {@code key} if some level holds a readable copy in namespace {@code ns}, or null. */
    Entry readable(long ns, BlockKey key) {
        Entry e = map.get(key);
        return readableIn(ns, e) ? e : null;
    }

    /** True if {@code e} is an entry of namespace {@code ns} that some level holds a readable copy of. */
    private static boolean readableIn(long ns, Entry e) {
        return e != null && e.meta.namespaceId() == ns && e.top() >= 0;
    }

    /** Claims {@code fresh}'s key for it; returns the live entry already there instead, if any. */
    Entry claim(Entry fresh) {
        for (int spins = 0; ; spins++) {
            Entry prev = map.putIfAbsent(fresh);
            if (prev == null || !prev.removed()) {
                return prev;
            }
            Backoff.pause(spins); // removed, and a worker is still finishing with it: take its place after
        }
    }

    /**
     * {@link #claim} for a caller that must not wait: {@code fresh} itself (compare by identity) where the key's
     * removed entry is still being finished with, and nothing claimed.
     */
    Entry tryClaim(Entry fresh) {
        Entry prev = map.putIfAbsent(fresh);
        return prev != null && prev.removed() ? fresh : prev;
    }

    /** Takes {@code e} out, if it is still the entry of its key. */
    void release(Entry e) {
        map.remove(e.meta.key(), e);
    }

    /** Ends a worker's turn on {@code e}; the last one out of a removed entry takes it out. */
    void exit(Entry e) {
        if (e.exit()) {
            release(e);
        }
    }

    /**
     * Tier names of the keys from {@code from} on that are readable in namespace {@code ns}, up to the first that
     * is not, appended to {@code out}; extends each hit's lease to {@code leaseUntil} when it is above 0.
     */
    void prefix(long ns, List<BlockKey> keys, int from, long leaseUntil, IntFunction<String> levelName,
                List<String> out) {
        // the entries of a batch of keys are found together (KeyedTable.getAll: their memory loads overlap); a
        // batch is small, so that little is read past the first miss
        Object[] found = new Object[Math.min(PREFIX_BATCH, keys.size() - from)];
        for (int start = from; start < keys.size(); start += found.length) {
            int n = Math.min(found.length, keys.size() - start);
            map.getAll(keys, start, n, found);
            for (int j = 0; j < n; j++) {
                Entry e = (Entry) found[j];
                if (!readableIn(ns, e)) {
                    return;
                }
                // with a lease, set it and read the residency in one step with the movers (Entry.leaseAndTop)
                int top = leaseUntil > 0 ? e.leaseAndTop(leaseUntil) : e.top();
                if (top < 0) {
                    return;
                }
                out.add(levelName.apply(top));
            }
        }
    }

    /** What is known of up to {@code limit} cached blocks that match {@code filter}: a snapshot, in no order. */
    List<BlockInfo> infos(Predicate<BlockInfo> filter, int limit, IntFunction<String> levelName, long now) {
        List<BlockInfo> out = new ArrayList<>();
        map.forEachWhile(e -> {
            if (out.size() >= limit) {
                return false;
            }
            int top = e.top();
            if (top >= 0) {
                BlockInfo info = e.info(levelName.apply(top), now);
                if (filter.test(info)) {
                    out.add(info);
                }
            }
            return true;
        });
        return out;
    }

    /** Entries that match {@code filter} (a walk of the table, weakly consistent with writes beside it). */
    long count(Predicate<Entry> filter) {
        long[] n = {0};
        map.forEachWhile(e -> {
            if (filter.test(e)) {
                n[0]++;
            }
            return true;
        });
        return n[0];
    }

    /** Entries, counting blocks whose first copy is being written. */
    int size() {
        return map.size();
    }

    void clear() {
        map.clear();
    }
}
