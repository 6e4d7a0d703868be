package io.kvstore.policy.prefix;

import io.kvstore.policy.frequency.FrequencySketch;
import io.kvstore.policy.support.IndexedHeap;

/**
 * A miniature cache that replays a hash-sampled subset of the keys (SHARDS-style spatial sampling: a key is
 * sampled when its hash falls below the sampling rate, and the miniature's capacity is scaled by the same rate)
 * under one fixed admission rule, counting its hits. {@link AdaptivePrefixPolicy} runs two of them, filter on
 * and filter off, and follows the one that hits more: a duel decided on the live workload rather than on a
 * tuned threshold. Entries are ordered like the real policy (last access plus a frequency bonus) but without
 * prefix structure. Memory and time are bounded by the miniature's capacity. Not thread-safe.
 *
 * @param <K> key type
 */
final class ShadowCache<K> {
    private final boolean filter;
    private final long capacity;
    private final double bonus;
    private final NodeTable<K> entries;
    private final IndexedHeap<K, PrefixNode<K>> order;
    private long tick;
    private double hits;

    ShadowCache(boolean filter, long capacity, double bonus) {
        this.filter = filter;
        this.capacity = Math.max(1, capacity);
        this.bonus = bonus;
        this.entries = new NodeTable<>(this.capacity);
        this.order = new IndexedHeap<>((int) Math.min(1 << 16, this.capacity));
    }

    /** Decayed hit count. */
    double hits() {
        return hits;
    }

    /** Halves the hit count, so that the duel follows recent behaviour. */
    void decay() {
        hits /= 2;
    }

    /** Replays one access of a sampled key, reading frequencies from the owner's sketch. */
    void access(K key, FrequencySketch sketch) {
        tick++;
        PrefixNode<K> n = entries.get(key);
        if (n != null) {
            hits++;
            n.priority = tick + bonus * sketch.frequency(key);
            order.update(n);
            return;
        }
        if (entries.size() >= capacity) {
            PrefixNode<K> victim = order.peek();
            if (filter && sketch.frequency(key) <= sketch.frequency(victim.key)) {
                return;
            }
            order.remove(victim);
            entries.remove(victim.key);
        }
        n = new PrefixNode<>(key, null, 1);
        n.priority = tick + bonus * sketch.frequency(key);
        entries.add(n);
        order.add(n);
    }
}
