package io.kvstore.policy.prefix;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.frequency.FrequencySketch;
import io.kvstore.policy.support.LeafHeap;

import java.util.ArrayList;
import java.util.List;
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
 *   here. A parent that lives in another tier of a hierarchy does not stop its child from being admitted, even if
 *   this tier once dropped it (it was demoted, or came back after a miss): the store says so
 *   ({@link Candidate#parentCachedElsewhere()}).</li>
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
 *   <li><b>Sized by its blocks.</b> The capacity in blocks (which sizes the sketch, the dropped keys, the bonus
 *   and the miniatures) starts as the spec's guess and follows the mean block actually tracked
 *   ({@link #sizedBlocks()}): a miniature that models a cache eight times smaller than the real one picks the
 *   wrong rule.</li>
 * </ul>
 * O(log n) per operation (an indexed heap of leaves).
 *
 * <h2>Memory</h2>
 * This is the default policy of every tier, so its per-block state is kept small: a tracked block is one
 * {@link PrefixNode} (40 bytes) reached through an intrusive hash table ({@link NodeTable}, 1 to 2 bytes a block)
 * and, while it is a leaf, a heap slot (4 to 6 bytes); the memory of dropped keys is a table of fingerprints
 * ({@link DroppedKeys}, 1 to 2 bytes per block of capacity) and the frequency sketch 8 to 16 bytes per block of
 * capacity. The two miniature caches hold 2,048 blocks each, or 1/64 of the capacity when that is more (never
 * more than the capacity), on the same lean nodes. Measured:
 * 56.4 bytes per tracked block at a million blocks (bench {@code PolicyFootprint}, docs/policies.md).
 */
public final class AdaptivePrefixPolicy<K> implements EvictionPolicy<K> {
    /**
     * Leaf priority bonus per counted occurrence, as a fraction of the capacity in blocks (a multiple of 1/8, which
     * {@link #touch} relies on).
     */
    static final double BONUS_PER_HIT = 0.125;
    /** Target size of each miniature cache, in blocks (the sampling rate is chosen to reach it). */
    static final double SHADOW_BLOCKS = 2048;

    /** Admissions between two checks of the block count the policy is sized for ({@link #sizedBlocks()}). */
    static final int SIZE_CHECK_INTERVAL = 256;

    private final NodeTable<K> nodes;
    private final LeafHeap<K, PrefixNode<K>> leaves;
    private final long capacity;
    // sized for sizedBlocks blocks of capacity (see size)
    private volatile long sizedBlocks;
    private FrequencySketch sketch;
    private DroppedKeys dropped;
    private ShadowCache<K> withFilter;
    private ShadowCache<K> withoutFilter;
    private long sampleThreshold;
    private long epoch;
    private double bonus;
    private volatile long resizes;
    private long admissions;
    private long weightedSize;
    private long tick;
    private long sampled;
    private volatile boolean filtering;
    private volatile long switches;

    public AdaptivePrefixPolicy(PolicySpec spec) {
        this.capacity = spec.capacityBytes();
        long blocks = spec.capacityBlocks();
        this.nodes = new NodeTable<>(blocks);
        this.leaves = new LeafHeap<>((int) Math.min(1 << 16, blocks));
        size(blocks);
    }

    /**
     * Sizes everything that depends on the capacity in blocks: the sketch, the memory of dropped keys, the
     * frequency bonus and the two miniature caches with their sampling rate. What they had learnt is forgotten
     * (the duel's current choice is kept).
     */
    private void size(long blocks) {
        this.sizedBlocks = blocks;
        this.sketch = new FrequencySketch(Math.max(1024, blocks));
        this.dropped = new DroppedKeys(blocks);
        this.bonus = blocks * BONUS_PER_HIT;
        double rate = Math.min(1.0, Math.max(1.0 / 64, SHADOW_BLOCKS / blocks));
        this.sampleThreshold = (long) (rate * (1L << 32));
        long shadowBlocks = Math.max(1, Math.round(blocks * rate));
        this.withFilter = new ShadowCache<>(true, shadowBlocks, shadowBlocks * BONUS_PER_HIT);
        this.withoutFilter = new ShadowCache<>(false, shadowBlocks, shadowBlocks * BONUS_PER_HIT);
        this.epoch = 4 * shadowBlocks;
        this.sampled = 0;
    }

    /**
     * The capacity in blocks that the policy is sized for. It starts as the spec's guess ({@link
     * PolicySpec#capacityBlocks()}) and follows the blocks actually tracked: once at least half the capacity is
     * filled, every {@value #SIZE_CHECK_INTERVAL} admissions the capacity divided by the mean tracked block is
     * compared with it, and a factor of 1.5 or more either way resizes (as Caffeine's cache grows its sketch with the
     * entries it holds). A daemon guesses 256 KiB blocks; an engine storing 32 KiB blocks would otherwise leave the
     * sketch, the duel's miniatures and the frequency bonus eight times too small.
     */
    public long sizedBlocks() {
        return sizedBlocks;
    }

    /** How many times the policy resized itself to the blocks it tracks. */
    public long resizes() {
        return resizes;
    }

    private void checkSize() {
        if (++admissions % SIZE_CHECK_INTERVAL != 0 || weightedSize < capacity / 2 || nodes.size() == 0) {
            return;
        }
        long blocks = Math.max(1, (long) ((double) capacity * nodes.size() / weightedSize));
        if (2 * blocks >= 3 * sizedBlocks || 3 * blocks <= 2 * sizedBlocks) {
            size(blocks);
            resizes++;
        }
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
    public boolean admit(Candidate<K> c) {
        K key = c.key();
        if (nodes.get(key) != null) {
            throw new IllegalStateException("already tracked: " + key);
        }
        if (c.weight() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name() + " tracks blocks of at most " + Integer.MAX_VALUE
                    + " bytes; " + key + " weighs " + c.weight());
        }
        record(key);
        if (c.partial()) {
            return false;
        }
        PrefixNode<K> parent = c.parent() == null ? null : nodes.get(c.parent());
        if (c.position() > 0 && c.parent() != null && parent == null && !c.parentCachedElsewhere()
                && dropped.contains(c.parent())) {
            dropped.add(key);
            return false;
        }
        if (filtering && weightedSize + c.weight() > capacity) {
            PrefixNode<K> victim = leaves.peek();
            if (victim != null && sketch.frequency(key) <= sketch.frequency(victim.key)) {
                dropped.add(key);
                return false;
            }
        }
        PrefixNode<K> n = new PrefixNode<>(key, c.parent(), (int) c.weight());
        nodes.add(n);
        weightedSize += n.weight;
        dropped.remove(key);
        touch(n);
        leaves.admitted(n, parent);
        checkSize();
        return true;
    }

    /**
     * A touched leaf's priority: its tick plus the frequency bonus, and among equal priorities the one touched longer
     * ago first. Equal {@code tick + bonus * f} with an older tick means a larger {@code f}, so the order of ties is
     * the order of {@code 15 - f}, written into the priority's low bits (the bonus is a multiple of 1/8, so {@code
     * (tick + bonus * f) * 128} is an integer and a multiple of 16; exact in a double up to 2^46 ticks) instead of
     * a stamp in every node.
     */
    private void touch(PrefixNode<K> n) {
        int f = sketch.frequency(n.key);
        n.priority = (++tick + bonus * f) * 128 + (15 - f);
    }

    @Override
    public void onHit(K key) {
        PrefixNode<K> n = nodes.get(key);
        if (n != null) {
            record(key);
            touch(n);
            leaves.reprioritized(n);
        }
    }

    @Override
    public void onRemove(K key) {
        PrefixNode<K> n = nodes.remove(key);
        if (n != null) {
            detach(n);
        }
    }

    private void detach(PrefixNode<K> n) {
        weightedSize -= n.weight;
        leaves.detached(n, n.parent == null ? null : nodes.get(n.parent));
    }

    @Override
    public List<K> evict(long bytesToFree, Predicate<? super K> evictable) {
        if (bytesToFree <= 0) {
            return List.of();
        }
        List<K> victims = new ArrayList<>(2);
        long freed = 0;
        while (freed < bytesToFree && !nodes.isEmpty()) {
            PrefixNode<K> v = leaves.minEvictable(evictable);
            if (v == null) {
                break;
            }
            nodes.remove(v.key);
            detach(v);
            dropped.add(v.key);
            freed += v.weight;
            victims.add(v.key);
        }
        return victims;
    }

    /**
     * {@code filtering} (1 while the admission filter is on), {@code filter_switches}, {@code sized_blocks} (the
     * capacity in blocks everything is sized for) and {@code resizes}: fields written only by the owner's thread
     * and read here without its lock.
     */
    @Override
    public java.util.Map<String, Long> details() {
        return java.util.Map.of("filtering", filtering ? 1L : 0L, "filter_switches", switches,
                "sized_blocks", sizedBlocks, "resizes", resizes);
    }

    @Override
    public K peekVictim() {
        PrefixNode<K> n = leaves.peek();
        return n == null ? null : n.key;
    }

    @Override
    public boolean contains(K key) {
        return nodes.get(key) != null;
    }

    @Override
    public int size() {
        return nodes.size();
    }

    @Override
    public long weightedSize() {
        return weightedSize;
    }
}
