package io.kvstore.server.admin;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.store.EventHistory;
import io.kvstore.core.store.StoreEvent;
import io.kvstore.core.store.TieredStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * The JSON views of blocks for the admin port: one block ({@code /v1/blocks/{key}}), a filtered and sorted
 * listing ({@code /v1/blocks?tier=&namespace=&limit=&sort=}) and a block's history ({@code /v1/explain/{key}}).
 * Store-clock times are shown as milliseconds ago and as wall-clock epoch milliseconds. Thread-safe (stateless
 * apart from the store and the history, both thread-safe).
 */
final class BlockViews {

    /** Most blocks one listing returns. */
    static final int MAX_LIMIT = 10_000;

    /** How a listing is ordered. */
    enum Sort {
        /** Most recently accessed first. */
        RECENT(Comparator.comparingLong(BlockInfo::lastAccessNanos)),
        /** Largest first. */
        SIZE(Comparator.comparingLong((BlockInfo b) -> b.meta().length())),
        /** Most hits first. */
        HITS(Comparator.comparingLong(BlockInfo::hits));

        /** Ascending order; a listing keeps the greatest. */
        final Comparator<BlockInfo> ascending;

        Sort(Comparator<BlockInfo> ascending) {
            this.ascending = ascending.thenComparing(b -> b.meta().key());
        }

        /** The sort named {@code name} (case-insensitive). */
        static Sort parse(String name) {
            for (Sort s : values()) {
                if (s.name().equalsIgnoreCase(name)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("sort must be recent, size or hits, was '" + name + "'");
        }
    }

    private final TieredStore store;
    private final EventHistory history;

    BlockViews(TieredStore store, EventHistory history) {
        this.store = store;
        this.history = history;
    }

    /** One block, or null if it is not cached. */
    Map<String, Object> block(BlockKey key) {
        BlockInfo info = store.info(key);
        return info == null ? null : block(info, store.clock().nanoTime());
    }

    /**
     * Up to {@code limit} blocks that match, the first {@code limit} in {@code sort} order; {@code total} counts
     * every match. Memory is bounded by the limit: the scan keeps the best {@code limit} in a heap.
     */
    Map<String, Object> list(String tier, Long namespaceId, int limit, Sort sort) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be in 1.." + MAX_LIMIT + ", was " + limit);
        }
        Predicate<BlockInfo> match = b -> (tier == null || tier.equals(b.tier()))
                && (namespaceId == null || namespaceId == b.meta().namespaceId());
        PriorityQueue<BlockInfo> best = new PriorityQueue<>(sort.ascending);
        long[] total = {0};
        store.blocks(b -> {
            if (match.test(b)) {
                total[0]++;
                best.add(b);
                if (best.size() > limit) {
                    best.poll();
                }
            }
            return false; // kept in the heap, not in the store's list
        }, Integer.MAX_VALUE);
        List<BlockInfo> sorted = new ArrayList<>(best);
        sorted.sort(sort.ascending.reversed());
        long now = store.clock().nanoTime();
        List<Object> blocks = new ArrayList<>(sorted.size());
        sorted.forEach(b -> blocks.add(block(b, now)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total", total[0]);
        m.put("shown", blocks.size());
        m.put("sort", sort.name().toLowerCase(Locale.ROOT));
        m.put("blocks", blocks);
        return m;
    }

    /**
     * Where a block is and what happened to it, or null if it is neither cached nor remembered. Each event
     * names its tier, the policy that decided (admission, demotion, eviction) and why, in words.
     */
    Map<String, Object> explain(BlockKey key, List<String> tierOrder) {
        BlockInfo info = store.info(key);
        EventHistory.BlockHistory h = history.history(key);
        if (info == null && h == null) {
            return null;
        }
        long nowNanos = store.clock().nanoTime();
        long nowMillis = System.currentTimeMillis();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", key.toHex());
        m.put("cached", info != null);
        m.put("block", info == null ? null : block(info, nowNanos));
        m.put("hits", h == null ? 0 : h.hits());
        m.put("lastHitAgoMillis", h == null || h.hits() == 0 ? null : agoMillis(nowNanos, h.lastHitNanos()));
        List<Object> events = new ArrayList<>();
        if (h != null) {
            for (StoreEvent e : h.events()) {
                Map<String, Object> ev = new LinkedHashMap<>();
                long ago = agoMillis(nowNanos, e.nanoTime());
                ev.put("type", e.type().name());
                ev.put("tier", e.tier());
                ev.put("toTier", e.toTier());
                ev.put("policy", e.policy());
                ev.put("agoMillis", ago);
                ev.put("atEpochMillis", nowMillis - ago);
                ev.put("reason", reason(e, tierOrder));
                if (info == null) {
                    m.putIfAbsent("namespaceId", HexFormat.of().toHexDigits(e.meta().namespaceId()));
                    m.putIfAbsent("position", e.meta().position());
                    m.putIfAbsent("lengthBytes", e.meta().length());
                }
                events.add(ev);
            }
        }
        m.put("events", events);
        return m;
    }

    /** Why an event happened, in words. */
    static String reason(StoreEvent e, List<String> tierOrder) {
        boolean last = !tierOrder.isEmpty() && tierOrder.get(tierOrder.size() - 1).equals(e.tier());
        return switch (e.type()) {
            case ADMITTED -> "stored by a PUT; " + e.policy() + " admitted it into " + e.tier();
            case REJECTED -> e.policy() + " refused to admit it into " + e.tier();
            case DEMOTED -> "victim of " + e.policy() + " when " + e.tier()
                    + " passed its high watermark; moved down to " + e.toTier();
            case EVICTED -> "shared-tier".equals(e.policy())
                    ? "the shared tier " + e.tier() + " no longer holds it; dropped"
                    : "victim of " + e.policy() + " when " + e.tier() + " passed its high watermark; "
                    + (last ? e.tier() + " is the last tier, so it was dropped from the store"
                            : "the tier below did not take it, so it was dropped from the store");
            case PROMOTED -> "read from " + e.tier() + "; promoted to " + e.toTier();
            case HIT -> "served from " + e.tier();
            case CORRUPT -> "failed its checksum in " + e.tier() + "; dropped";
            case DELETED -> "removed on request (DELETE or kvctl evict) from " + e.tier();
        };
    }

    private static Map<String, Object> block(BlockInfo info, long nowNanos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", info.meta().key().toHex());
        m.put("parent", info.meta().parent().toHex());
        m.put("position", info.meta().position());
        m.put("namespaceId", HexFormat.of().toHexDigits(info.meta().namespaceId()));
        m.put("layoutId", info.meta().layoutId());
        m.put("lengthBytes", info.meta().length());
        m.put("crc32c", String.format("%08x", info.meta().crc32c()));
        m.put("tier", info.tier());
        m.put("pins", info.pins());
        m.put("leased", info.leased());
        m.put("hits", info.hits());
        m.put("lastAccessAgoMillis", agoMillis(nowNanos, info.lastAccessNanos()));
        return m;
    }

    private static long agoMillis(long nowNanos, long thenNanos) {
        return Math.max(0, (nowNanos - thenNanos) / 1_000_000);
    }
}
