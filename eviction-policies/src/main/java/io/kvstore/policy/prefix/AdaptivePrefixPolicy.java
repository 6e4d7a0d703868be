package io.kvstore.policy.prefix;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.frequency.FrequencySketch;
import io.kvstore.policy.support.LeafHeap;
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
 *   parent. The policy evicts only leaves (blocks with no tracked child), and it refuses a block whose parent it
 *   evicted or refused (remembered in a bounded ghost list of the last {@code capacity} such keys): it never
 *   keeps a block whose parent it has dropped. Blocks the store takes away ({@code onRemove}: a promotion to
 *   the tier above, a delete) do not count as dropped: a parent promoted upwards still serves its children
 *   here. A parent that lives in another tier of a hierarchy does not
 *   stop its child from being admitted.</li>
 *   <li><b>No partial blocks.</b> A request's trailing partial block is never admitted: its key names a partial
 *   prefix that the next, longer request will not reuse.</li>
 *   <li><b>Leaf order.</b> Leaves are ordered by last access (LRU) plus a frequency bonus: each occurrence
 *   counted by a {@link FrequencySketch} moves a leaf {@code capacity/8} accesses into the future, so shared
 *   prefixes (system prompts, tool definitions) outlive one-off conversation tails.</li>
 *   <li><b>Adaptive admission.</b> When the tier is full, a TinyLFU-style filter can refuse a candidate that is
 *   not more frequent than the next victim. That wins when the cache is small next to the reuse distance of
 *   conversations (only shared prefixes can be kept, and admitting one-off blocks flushes them) and loses badly
 *   when it is large enough to keep a conversation until its next turn (the filter refuses exactly the blocks
 *   the next turn will ask for). The policy decides from feedback: two miniature caches
 *   ({@link ShadowCache}), one filtering and one not, replay a hash-sampled subset of the accesses, and every
 *   epoch the policy adopts the rule whose miniature scored more (decayed) hits.</li>
 * </ul>
 * O(log n) per operation (an indexed heap of leaves); memory bounded by the capacity in blocks.
 */
public final class AdaptivePrefixPolicy<K> extends NodePolicy<K> {
    /** Leaf priority bonus per counted occurrence, as a fraction of the capacity in blocks. */
    static final double BONUS_PER_HIT = 0.125;
    /** Target size of each miniature cache, in blocks (the sampling rate is chosen to reach it). */
    static final double SHADOW_BLOCKS = 2048;

    private final LeafHeap<K> leaves = new LeafHeap<>();
    private final FrequencySketch sketch;
    private final long capacity;
    private final Ghost<K> dropped;
    private final ShadowCache<K> withFilter;
    private final ShadowCache<K> withoutFilter;
    private final long sampleThreshold;
    private final long epoch;
    private final double bonus;
    private long tick;
    private long sampled;
    private boolean filtering;
    private long switches;

    public AdaptivePrefixPolicy(PolicySpec spec) {
        this.capacity = spec.capacityBytes();
        long blocks = spec.capacityBlocks();
        this.sketch = new FrequencySketch(Math.max(1024, blocks));
        this.dropped = new Ghost<>(Math.max(64, blocks));
        this.bonus = blocks * BONUS_PER_HIT;
        double rate = Math.min(1.0, Math.max(1.0 / 64, SHADOW_BLOCKS / blocks));
        this.sampleThreshold = (long) (rate * (1L << 32));
        long shadowBlocks = Math.max(1, Math.round(blocks * rate));
        this.withFilter = new ShadowCache<>(true, shadowBlocks, shadowBlocks * BONUS_PER_HIT);
        this.withoutFilter = new ShadowCache<>(false, shadowBlocks, shadowBlocks * BONUS_PER_HIT);
        this.epoch = 4 * shadowBlocks;
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

    /** Counts an access everywhere it is counted: the sketch and, if sampled, the duel. */
    private void record(K key) {
        sketch.increment(key);
        long h = (key.hashCode() * 0x9E3779B97F4A7C15L) >>> 32;
        if (h < sampleThreshold) {
            withFilter.access(key, sketch);
            withoutFilter.access(key, sketch);
            if (++sampled % epoch == 0) {
                boolean want = withFilter.hits() > withoutFilter.hits();
                if (want != filtering) {
                    filtering = want;
                    switches++;
                }
                withFilter.decay();
                withoutFilter.decay();
            }
        }
    }

    @Override
    protected boolean shouldAdmit(Candidate<K> c) {
        K key = c.key();
        record(key);
        if (c.partial()) {
            return false;
        }
        if (c.position() > 0 && c.parent() != null && !nodes.containsKey(c.parent())
                && dropped.contains(c.parent())) {
            dropped.add(key);
            return false;
        }
        if (filtering && weightedSize() + c.weight() > capacity) {
            Node<K> victim = leaves.peek();
            if (victim != null && sketch.frequency(key) <= sketch.frequency(victim.key)) {
                dropped.add(key);
                return false;
            }
        }
        return true;
    }

    private void touch(Node<K> n) {
        n.stamp = ++tick;
        n.priority = tick + bonus * sketch.frequency(n.key);
    }

    @Override
    protected void onAdmitted(Node<K> n) {
        dropped.remove(n.key);
        touch(n);
        leaves.admitted(n, trackedParent(n));
    }

    @Override
    protected void onAccess(Node<K> n) {
        record(n.key);
        touch(n);
        leaves.reprioritized(n);
    }

    @Override
    protected void detach(Node<K> n) {
        leaves.detached(n, trackedParent(n));
    }

    @Override
    protected void onEvicted(Node<K> n) {
        dropped.add(n.key);
    }


    @Override
    protected Node<K> selectVictim(Predicate<? super K> evictable) {
        return leaves.minEvictable(evictable);
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

        void remove(K key) {
            keys.remove(key);
        }

        boolean contains(K key) {
            return keys.containsKey(key);
        }
    }
}
