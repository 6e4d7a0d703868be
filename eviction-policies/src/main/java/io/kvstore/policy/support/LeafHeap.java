package io.kvstore.policy.support;

import java.util.function.Predicate;

/**
 * The leaves of a prefix tree of tracked entries, in an {@link IndexedHeap}: a node is a leaf while no tracked node
 * names it as parent ({@link HeapEntry#children()} counts them). Leaf-first policies evict only from here, so a
 * chain is cut from its end and a parent never goes before its children. Not thread-safe.
 *
 * @param <K> key type
 * @param <E> entry type
 */
public final class LeafHeap<K, E extends HeapEntry<K>> {
    private final IndexedHeap<K, E> heap;

    public LeafHeap() {
        this(64);
    }

    /** Room for {@code initialCapacity} leaves before the heap first grows. */
    public LeafHeap(int initialCapacity) {
        this.heap = new IndexedHeap<>(initialCapacity);
    }

    /** A node became tracked; its tracked parent (or null) stops being a leaf. */
    public void admitted(E n, E parent) {
        heap.add(n);
        if (parent != null) {
            if (parent.inHeap()) {
                heap.remove(parent);
            }
            parent.children(parent.children() + 1);
        }
    }

    /** A node stopped being tracked; its tracked parent (or null) becomes a leaf when it was the last child. */
    public void detached(E n, E parent) {
        if (n.inHeap()) {
            heap.remove(n);
        }
        int children = parent == null ? 0 : parent.children(); // n still among them
        if (children > 0) {
            parent.children(children - 1);
            if (children == 1) {
                heap.add(parent);
            }
        }
    }

    /** A node's priority changed. */
    public void reprioritized(E n) {
        if (n.inHeap()) {
            heap.update(n);
        }
    }

    /** The leaf with the lowest priority, or null. */
    public E peek() {
        return heap.peek();
    }

    /** The lowest-priority evictable leaf, or null. */
    public E minEvictable(Predicate<? super K> evictable) {
        return heap.minEvictable(evictable);
    }
}
