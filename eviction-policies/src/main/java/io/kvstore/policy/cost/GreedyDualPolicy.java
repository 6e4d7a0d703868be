package io.kvstore.policy.cost;

import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.support.LeafHeap;
import io.kvstore.policy.support.Node;
import io.kvstore.policy.support.NodePolicy;

import java.util.function.Predicate;

/**
 * GreedyDual-Size (Cao and Irani, 1997) restricted to the leaves of the prefix tree. A block's value is
 * {@code H = L + cost / weight}, refreshed on every access, where {@code L} is the value of the last victim
 * (inflation, which ages old blocks) and {@code cost} is what recomputing the block would take: prefill work
 * grows with the prefix a block attends to, so {@code cost = 1 + attentionShare x position}. Only leaves (blocks
 * with no tracked child) are candidates for eviction, so a chain is cut from its end and the cache keeps the
 * prefixes a hit needs. When a child is admitted its parent leaves the leaf heap; when its last child goes it
 * rejoins with the value it had.
 */
public final class GreedyDualPolicy<K> extends NodePolicy<K> {
    private final LeafHeap<K, Node<K>> leaves = new LeafHeap<>();
    private final double attentionShare;
    private double inflation;
    private long tick;

    /** A policy with an attention share of 1/64 of a block's cost per preceding block. */
    public GreedyDualPolicy(PolicySpec spec) {
        this(spec, 1.0 / 64);
    }

    public GreedyDualPolicy(PolicySpec spec, double attentionShare) {
        if (!(attentionShare >= 0)) {
            throw new IllegalArgumentException("attentionShare must be >= 0, was " + attentionShare);
        }
        this.attentionShare = attentionShare;
    }

    @Override
    public String name() {
        return "gdsf";
    }

    private void value(Node<K> n) {
        n.priority = inflation + (1 + attentionShare * n.position) / n.weight;
        n.stamp = ++tick;
    }

    @Override
    protected void onAdmitted(Node<K> n) {
        value(n);
        leaves.admitted(n, trackedParent(n));
    }

    @Override
    protected void onAccess(Node<K> n) {
        value(n);
        leaves.reprioritized(n);
    }

    @Override
    protected void detach(Node<K> n) {
        leaves.detached(n, trackedParent(n));
    }

    @Override
    protected void onEvicted(Node<K> n) {
        inflation = Math.max(inflation, n.priority);
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
}
