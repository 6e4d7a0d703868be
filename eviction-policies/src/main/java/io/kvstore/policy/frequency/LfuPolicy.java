package io.kvstore.policy.frequency;

import io.kvstore.policy.support.IndexedHeap;
import io.kvstore.policy.support.Node;
import io.kvstore.policy.support.NodePolicy;

import java.util.function.Predicate;

/**
 * LFU with dynamic aging (LFU-DA, Arlitt et al.): a key's priority is {@code L + hits}, where {@code L} is the
 * priority of the last victim. Aging through {@code L} lets keys that were popular long ago leave once newer
 * keys overtake them. Ties go to the least recently used. O(log n) per operation on an indexed heap.
 */
public final class LfuPolicy<K> extends NodePolicy<K> {
    private final IndexedHeap<K, Node<K>> heap = new IndexedHeap<>();
    private double age;
    private long tick;

    @Override
    public String name() {
        return "lfu";
    }

    @Override
    protected void onAdmitted(Node<K> n) {
        n.freq = 1;
        n.priority = age + 1;
        n.stamp = ++tick;
        heap.add(n);
    }

    @Override
    protected void onAccess(Node<K> n) {
        n.freq++;
        n.priority = age + n.freq;
        n.stamp = ++tick;
        heap.update(n);
    }

    @Override
    protected void detach(Node<K> n) {
        heap.remove(n);
    }

    @Override
    protected void onEvicted(Node<K> n) {
        age = n.priority;
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
