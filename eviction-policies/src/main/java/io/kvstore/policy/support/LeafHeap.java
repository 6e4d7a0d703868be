package io.kvstore.policy.support;

import java.util.function.Predicate;

/**
 * The leaves of a prefix tree of tracked nodes, in an {@link IndexedHeap}: a node is a leaf while no tracked node
 * names it as parent ({@link Node#children} counts them). Leaf-first policies evict only from here, so a chain is
 * cut from its end and a parent never goes before its children. Not thread-safe.
 *
 * @param <K> key type
 */
public final class LeafHeap<K> {
    private final IndexedHeap<K> heap = new IndexedHeap<>();

    /** A node became tracked; its tracked parent (or null) stops being a leaf. */
    public void admitted(Node<K> n, Node<K> parent) {
        heap.add(n);
        if (parent != null && parent.children++ == 0 && parent.inHeap()) {
            heap.remove(parent);
        }
    }

    /** A node stopped being tracked; its tracked parent (or null) becomes a leaf when it was the last child. */
    public void detached(Node<K> n, Node<K> parent) {
        if (n.inHeap()) {
            heap.remove(n);
        }
        if (parent != null && parent.children > 0 && --parent.children == 0) {
            heap.add(parent);
        }
    }

    /** A node's priority changed. */
    public void reprioritized(Node<K> n) {
        if (n.inHeap()) {
            heap.update(n);
        }
    }

    /** The leaf with the lowest priority, or null. */
    public Node<K> peek() {
        return heap.peek();
    }

    /** The lowest-priority evictable leaf, or null. */
    public Node<K> minEvictable(Predicate<? super K> evictable) {
        return heap.minEvictable(evictable);
    }
}
