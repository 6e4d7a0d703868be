package io.kvstore.policy.prefix;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.frequency.FrequencySketch;
import io.kvstore.policy.frequency.LfuPolicy;
import io.kvstore.policy.support.IndexedHeap;
import io.kvstore.policy.support.Node;
import io.kvstore.policy.support.NodePolicy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The default policy: prefix-closed, leaf-first, with an admission filter that switches itself on and off.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>Prefix-closed.</b> A prefix hit needs every block before it, so a block is worth nothing without its
 *   parent. The policy evicts only leaves (blocks with no tracked child) and refuses a block whose parent it
 *   has just dropped or refused (remembered in a bounded ghost list), so it never keeps a block whose parent it
 *   dropped. A parent that lives in another tier does not stop its child from being admitted.</li>
 *   <li><b>No partial blocks.</b> A request's trailing partial block is never admitted: its key names a partial
 *   prefix that the next, longer request will not reuse.</li>
 *   <li><b>Leaf order.</b> Leaves are ordered by last access (LRU), with a frequency bonus: each hit
 *   counted by a {@link FrequencySketch} pushes a leaf {@code bonus} accesses into the future, so shared
 *   prefixes (system prompts, tool definitions) outlive one-off conversation tails.</li>
 *   <li><b>Adaptive admission.</b> When full, a TinyLFU-style filter refuses a candidate no more frequent than
 *   the next victim. Whether the filter is on is decided by feedback from two ghost lists: keys the filter
 *   refused and keys the policy evicted. A returning refused key is a filter mistake; a returning evicted key
 *   is a mistake of admitting what pushed it out. Every {@code epoch} misses the policy compares the two
 *   counts (weighted by how many keys each ghost saw) and keeps the filter on only while refusals are the
 *   cheaper mistake.</li>
 * </ul>
 * O(log n) per operation (an indexed heap of leaves); memory bounded by the capacity in blocks.
 */
public final class AdaptivePrefixPolicy<K> extends NodePolicy<K> {
    private final IndexedHeap<K> leaves = new IndexedHeap<>();
    private final FrequencySketch sketch;
    private final long capacity;
    private final Ghost<K> refused;
    private final Ghost<K> evicted;
    private final long epoch;
    private final double bonus;
    private long tick;
    private boolean filtering = true;
    private long refusedReturns;
    private long evictedReturns;
    private long refusedCount;
    private long evictedCount;
    private long missesInEpoch;
    private long switches;

    public AdaptivePrefixPolicy(PolicySpec spec) {
        this.capacity = spec.capacityBytes();
        long blocks = spec.capacityBlocks();
        this.sketch = new FrequencySketch(Math.max(1024, blocks));
        this.refused = new Ghost<>(Math.max(64, blocks));
        this.evicted = new Ghost<>(Math.max(64, blocks));
        this.epoch = Math.max(256, blocks);
        this.bonus = Math.max(1, blocks / 8.0);
    }

    @Override
    public String name() {
        return "adaptive-prefix";
    }

    /** True while the admission filter is on (for reports and tests). */
    public boolean filtering() {
        return filtering;
    }

    /** How many times the filter was switched on or off. */
    public long switches() {
        return switches;
    }

    @Override
    protected boolean shouldAdmit(Candidate<K> c) {
        K key = c.key();
        sketch.increment(key);
        if (refused.remove(key)) {
            refusedReturns++;
        } else if (evicted.remove(key)) {
            evictedReturns++;
        }
        if (++missesInEpoch >= epoch) {
            adapt();
        }
        if (c.partial()) {
            return false;
        }
        if (c.position() > 0 && c.parent() != null && !nodes.containsKey(c.parent())
                && (refused.contains(c.parent()) || evicted.contains(c.parent()))) {
            refuse(key);
            return false;
        }
        if (filtering && weightedSize() + c.weight() > capacity) {
            Node<K> victim = leaves.peek();
            if (victim != null && sketch.frequency(key) <= sketch.frequency(victim.key)) {
                refuse(key);
                return false;
            }
        }
        return true;
    }

    private void refuse(K key) {
        refused.add(key);
        refusedCount++;
    }

    private void adapt() {
        // a mistake rate per remembered key: returns / keys that entered the ghost in this epoch
        double refusedRate = refusedCount == 0 ? 0 : (double) refusedReturns / refusedCount;
        double evictedRate = evictedCount == 0 ? 0 : (double) evictedReturns / evictedCount;
        boolean want = filtering ? refusedRate <= evictedRate * 1.25 + 1e-9 : evictedRate > refusedRate * 1.25;
        if (!filtering && refusedCount == 0) {
            want = evictedRate > 0.05;
        }
        if (want != filtering) {
            filtering = want;
            switches++;
        }
        refusedReturns = evictedReturns = refusedCount = evictedCount = missesInEpoch = 0;
    }

    private void touch(Node<K> n) {
        n.stamp = ++tick;
        n.priority = tick + bonus * sketch.frequency(n.key);
    }

    @Override
    protected void onAdmitted(Node<K> n) {
        touch(n);
        leaves.add(n);
        Node<K> p = n.parent == null ? null : nodes.get(n.parent);
        if (p != null && p.children++ == 0 && p.inHeap()) {
            leaves.remove(p);
        }
    }

    @Override
    protected void onAccess(Node<K> n) {
        sketch.increment(n.key);
        touch(n);
        if (n.inHeap()) {
            leaves.update(n);
        }
    }

    @Override
    protected void detach(Node<K> n) {
        if (n.inHeap()) {
            leaves.remove(n);
        }
        Node<K> p = n.parent == null ? null : nodes.get(n.parent);
        if (p != null && p.children > 0 && --p.children == 0) {
            leaves.add(p);
        }
    }

    @Override
    protected void onEvicted(Node<K> n) {
        evicted.add(n.key);
        evictedCount++;
    }

    @Override
    protected Node<K> selectVictim(Predicate<? super K> evictable) {
        return LfuPolicy.minEvictable(leaves, evictable);
    }

    @Override
    public K peekVictim() {
        Node<K> n = leaves.peek();
        return n == null ? null : n.key;
    }

    /** A bounded FIFO set of keys. */
    private static final class Ghost<K> {
        private final LinkedHashMap<K, Boolean> keys;

        Ghost(long max) {
            this.keys = new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<K, Boolean> eldest) {
                    return size() > max;
                }
            };
        }

        void add(K key) {
            keys.put(key, Boolean.TRUE);
        }

        boolean remove(K key) {
            return keys.remove(key) != null;
        }

        boolean contains(K key) {
            return keys.containsKey(key);
        }
    }
}
