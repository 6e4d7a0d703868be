package io.kvstore.policy.support;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * A binary min-heap of {@link HeapEntry}s ordered by {@link HeapEntry#priority}, then {@link HeapEntry#tieBreak}
 * (smaller first; a {@link Node}'s stamp), with O(log n) insert, remove and re-prioritize: each entry remembers its
 * slot. The array grows by half when full. Not thread-safe.
 *
 * @param <K> key type
 * @param <E> entry type
 */
public final class IndexedHeap<K, E extends HeapEntry<K>> {
    private E[] heap;
    private int size;

    public IndexedHeap() {
        this(64);
    }

    /** A heap with room for {@code initialCapacity} entries before it first grows. */
    @SuppressWarnings("unchecked")
    public IndexedHeap(int initialCapacity) {
        heap = (E[]) new HeapEntry[Math.max(16, initialCapacity)];
    }

    /** Number of nodes. */
    public int size() {
        return size;
    }

    /** The node with the smallest (priority, stamp), or null. */
    public E peek() {
        return size == 0 ? null : heap[0];
    }

    /** The node at a heap slot, {@code 0 <= i < size()}; slot 0 is the minimum, slots 1 and 2 its children. */
    public E at(int i) {
        return heap[i];
    }

    /** The smallest node whose key is evictable, or null; nodes passed over stay in the heap. */
    public E minEvictable(Predicate<? super K> evictable) {
        E top = peek();
        if (top == null || evictable.test(top.key())) {
            return top;
        }
        List<E> skipped = new ArrayList<>();
        E found = null;
        while (size > 0) {
            E n = heap[0];
            if (evictable.test(n.key())) {
                found = n;
                break;
            }
            remove(n);
            skipped.add(n);
        }
        skipped.forEach(this::add);
        return found;
    }

    /** Inserts a node that is in no heap and has no children ({@link HeapEntry#children()}). */
    public void add(E n) {
        if (n.slotOrChildren >= 0) {
            throw new IllegalStateException("entry already in a heap: " + n.key());
        }
        if (n.slotOrChildren < -1) {
            throw new IllegalStateException("an entry with children cannot enter a heap: " + n.key());
        }
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size + (size >> 1));
        }
        heap[size] = n;
        n.slotOrChildren = size++;
        up(n.slotOrChildren);
    }

    /** Removes a node of this heap. */
    public void remove(E n) {
        int i = n.slotOrChildren;
        if (i < 0 || i >= size || heap[i] != n) {
            throw new IllegalStateException("entry not in this heap: " + n.key());
        }
        E last = heap[--size];
        heap[size] = null;
        n.slotOrChildren = -1;
        if (last != n) {
            heap[i] = last;
            last.slotOrChildren = i;
            up(i);
            down(last.slotOrChildren);
        }
    }

    /** Restores the order after the node's priority or stamp changed. */
    public void update(E n) {
        up(n.slotOrChildren);
        down(n.slotOrChildren);
    }

    private static boolean less(HeapEntry<?> a, HeapEntry<?> b) {
        return a.priority < b.priority || (a.priority == b.priority && a.tieBreak() < b.tieBreak());
    }

    private void up(int i) {
        E n = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!less(n, heap[p])) {
                break;
            }
            heap[i] = heap[p];
            heap[i].slotOrChildren = i;
            i = p;
        }
        heap[i] = n;
        n.slotOrChildren = i;
    }

    private void down(int i) {
        E n = heap[i];
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
            heap[i].slotOrChildren = i;
            i = c;
        }
        heap[i] = n;
        n.slotOrChildren = i;
    }
}
