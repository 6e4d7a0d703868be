package io.kvstore.policy.support;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * A binary min-heap of {@link Node}s ordered by {@link Node#priority}, then {@link Node#stamp} (smaller first),
 * with O(log n) insert, remove and re-prioritize: each node remembers its slot. Not thread-safe.
 *
 * @param <K> key type
 */
public final class IndexedHeap<K> {
    private Node<K>[] heap;
    private int size;

    @SuppressWarnings("unchecked")
    public IndexedHeap() {
        heap = (Node<K>[]) new Node[64];
    }

    /** Number of nodes. */
    public int size() {
        return size;
    }

    /** The node with the smallest (priority, stamp), or null. */
    public Node<K> peek() {
        return size == 0 ? null : heap[0];
    }

    /** The node at a heap slot, {@code 0 <= i < size()}; slot 0 is the minimum, slots 1 and 2 its children. */
    public Node<K> at(int i) {
        return heap[i];
    }

    /** The smallest node whose key is evictable, or null; nodes passed over stay in the heap. */
    public Node<K> minEvictable(Predicate<? super K> evictable) {
        Node<K> top = peek();
        if (top == null || evictable.test(top.key)) {
            return top;
        }
        List<Node<K>> skipped = new ArrayList<>();
        Node<K> found = null;
        while (size > 0) {
            Node<K> n = heap[0];
            if (evictable.test(n.key)) {
                found = n;
                break;
            }
            remove(n);
            skipped.add(n);
        }
        skipped.forEach(this::add);
        return found;
    }

    /** Inserts a node that is in no heap. */
    public void add(Node<K> n) {
        if (n.heapIndex >= 0) {
            throw new IllegalStateException("node already in a heap: " + n.key);
        }
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = n;
        n.heapIndex = size++;
        up(n.heapIndex);
    }

    /** Removes a node of this heap. */
    public void remove(Node<K> n) {
        int i = n.heapIndex;
        if (i < 0 || i >= size || heap[i] != n) {
            throw new IllegalStateException("node not in this heap: " + n.key);
        }
        Node<K> last = heap[--size];
        heap[size] = null;
        n.heapIndex = -1;
        if (last != n) {
            heap[i] = last;
            last.heapIndex = i;
            up(i);
            down(last.heapIndex);
        }
    }

    /** Restores the order after the node's priority or stamp changed. */
    public void update(Node<K> n) {
        up(n.heapIndex);
        down(n.heapIndex);
    }

    private static boolean less(Node<?> a, Node<?> b) {
        return a.priority < b.priority || (a.priority == b.priority && a.stamp < b.stamp);
    }

    private void up(int i) {
        Node<K> n = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!less(n, heap[p])) {
                break;
            }
            heap[i] = heap[p];
            heap[i].heapIndex = i;
            i = p;
        }
        heap[i] = n;
        n.heapIndex = i;
    }

    private void down(int i) {
        Node<K> n = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int c = 2 * i + 1;
            if (c + 1 < size && less(heap[c + 1], heap[c])) {
                c++;
            }
            if (!less(heap[c], n)) {
                break;
            }
            heap[i] = heap[c];
            heap[i].heapIndex = i;
            i = c;
        }
        heap[i] = n;
        n.heapIndex = i;
    }
}
