package io.kvstore.server.admin;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.store.PinStatus;
import io.kvstore.core.store.TieredStore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin port's state-changing actions: pin (optionally for a time), unpin and evict, by key, by namespace or
 * all. A key is acted on in the namespace it is cached under (the admin is trusted, see {@link AdminGuard}).
 * Eviction never removes a pinned block ({@link TieredStore#deleteUnpinned} checks and removes in one step under
 * the store's lock): it is reported as {@code PINNED} and kept (unpin it first). A block under a lookup lease is
 * evicted all the same: the operator's word wins over an engine's pending GET, which then misses.
 *
 * <p>A pin with a TTL releases one pin when the TTL ends, on a daemon thread; at most {@link #MAX_TIMED_PINS}
 * timed pins may wait, beyond that a timed pin is refused ({@code TOO_MANY_TIMED_PINS}), so memory stays
 * bounded. Thread-safe. {@link #close()} drops waiting timed releases (the store closes with the server).
 */
final class AdminActions implements AutoCloseable {

    /** Timed pins that may wait for their release at once. */
    static final int MAX_TIMED_PINS = 65_536;

    private final TieredStore store;
    private final ScheduledExecutorService timer;
    private final AtomicInteger timedPins = new AtomicInteger();

    AdminActions(TieredStore store) {
        this.store = store;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kvstore-admin-pin-ttl");
            t.setDaemon(true);
            return t;
        });
    }

    /** Pins each key where it is cached; with {@code ttlMillis > 0} the pin is released after that long. */
    Map<String, Object> pin(List<BlockKey> keys, long ttlMillis) {
        return each(keys, (k, ns) -> {
            if (ttlMillis <= 0) {
                return store.pin(ns, k).name();
            }
            if (timedPins.incrementAndGet() > MAX_TIMED_PINS) {
                timedPins.decrementAndGet();
                return "TOO_MANY_TIMED_PINS";
            }
            PinStatus s = store.pin(ns, k);
            if (s == PinStatus.PINNED) {
                timer.schedule(() -> {
                    timedPins.decrementAndGet();
                    store.unpin(ns, k);
                }, ttlMillis, TimeUnit.MILLISECONDS);
            } else {
                timedPins.decrementAndGet();
            }
            return s.name();
        });
    }

    /** Releases one pin of each key. */
    Map<String, Object> unpin(List<BlockKey> keys) {
        return each(keys, (k, ns) -> store.unpin(ns, k).name());
    }

    /** Evicts each key that is cached and not pinned. */
    Map<String, Object> evict(List<BlockKey> keys) {
        return each(keys, (k, ns) -> {
            PinStatus s = store.deleteUnpinned(ns, k);
            return s == PinStatus.DELETED ? "EVICTED" : s.name();
        });
    }

    /** What an action does to a cached key in its namespace; answers the key's status. */
    private interface KeyAction {
        String apply(BlockKey key, long namespaceId);
    }

    /** Applies {@code action} to each cached key (NOT_FOUND for the others) and sums up. */
    private Map<String, Object> each(List<BlockKey> keys, KeyAction action) {
        List<Outcome> results = new ArrayList<>(keys.size());
        for (BlockKey k : keys) {
            BlockInfo info = store.info(k);
            String status = info == null ? PinStatus.NOT_FOUND.name() : action.apply(k, info.meta().namespaceId());
            results.add(new Outcome(k.toHex(), status, info == null ? null : info.tier()));
        }
        return summary(results);
    }

    /** Evicts every unpinned block of a namespace ({@code namespaceId} non-null) or of the whole store. */
    Map<String, Object> evictAll(Long namespaceId) {
        List<BlockKey> keys = new ArrayList<>();
        store.blocks(b -> {
            if (namespaceId == null || namespaceId == b.meta().namespaceId()) {
                keys.add(b.meta().key());
            }
            return false;
        }, Integer.MAX_VALUE);
        Map<String, Object> m = evict(keys);
        m.remove("results"); // a count is what a bulk eviction reports
        return m;
    }

    /** What an action did to one key (serialized as JSON). */
    record Outcome(String key, String status, String tier) {
    }

    private static Map<String, Object> summary(List<Outcome> results) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Outcome o : results) {
            counts.merge(o.status(), 1L, Long::sum);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("counts", counts);
        m.put("results", results);
        return m;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
