package io.kvstore.policy.opt;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.support.IndexedHeap;
import io.kvstore.policy.support.Node;
import io.kvstore.policy.support.NodePolicy;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Bélády's OPT (MIN), the offline optimum for uniform weights: evict the key whose next access is farthest in
 * the future, and do not admit a key that will never be accessed again or that would itself be the first
 * victim. Simulator only: the replayer must call {@link #nextAccess} before every access. Under prefix-hit
 * semantics a parent is always accessed no later than its children, so OPT keeps chains closed by itself; ties
 * evict the deeper block first. O(log n) per operation.
 */
public final class BeladyPolicy<K> extends NodePolicy<K> implements Clairvoyant<K> {
    private final IndexedHeap<K, Node<K>> heap = new IndexedHeap<>();
    private final Map<K, Long> pending = new HashMap<>();
    private final long capacity;

    public BeladyPolicy(PolicySpec spec) {
        this.capacity = spec.capacityBytes();
    }

    @Override
    public String name() {
        return "opt";
    }

    @Override
    public void nextAccess(K key, long index) {
        Node<K> n = nodes.get(key);
        if (n == null) {
            pending.put(key, index);
        } else {
            n.priority = -(double) index;
            heap.update(n);
        }
    }

    private long next(K key) {
        Long i = pending.remove(key);
        if (i == null) {
            throw new IllegalStateException("OPT needs nextAccess(" + key + ", ...) before every access");
        }
        return i;
    }

    @Override
    protected boolean shouldAdmit(Candidate<K> c) {
        Long boxed = pending.get(c.key());
        if (boxed == null) {
            throw new IllegalStateException("OPT needs nextAccess(" + c.key() + ", ...) before every access");
        }
        long next = boxed;
        if (next == NEVER) {
            pending.remove(c.key());
            return false;
        }
        Node<K> farthest = heap.peek();
        if (weightedSize() + c.weight() > capacity && farthest != null && -farthest.priority <= next) {
            pending.remove(c.key());
            return false;
        }
        return true;
    }

    @Override
    protected void onAdmitted(Node<K> n) {
        n.priority = -(double) next(n.key);
        n.stamp = -n.position;
        heap.add(n);
    }

    @Override
    protected void onAccess(Node<K> n) {
        // the priority was set by nextAccess
    }

    @Override
    protected void detach(Node<K> n) {
        heap.remove(n);
    }

    @Override
    protected Node<K> selectVictim(Predicate<? super K> evictable) {
        return heap.minEvictable(evictable);
    }

    @Override
    public K peekVictim() {
        Node<K> n = heap.peek();
        return n == null ? null : n.key;
    }
}
