package io.kvstore.policy.support;

/**
 * What an {@link IndexedHeap} needs of an entry: its slot, a priority, and (for a {@link LeafHeap}) the count of
 * its tracked children. {@link Node} is the general entry every policy can use; a policy that must keep its
 * per-block memory small declares a leaner subclass with only the fields it needs. Not thread-safe.
 *
 * @param <K> key type
 */
public abstract class HeapEntry<K> {
    int heapIndex = -1;
    /** A heap priority (smaller leaves the heap first; larger survives longer). */
    public double priority;
    /** Number of tracked children (prefix-aware policies). */
    public int children;

    /** The entry's key. */
    public abstract K key();

    /** Orders entries of equal priority (smaller first); 0 unless a subclass keeps a tie-breaker. */
    protected long tieBreak() {
        return 0;
    }

    /** True while the entry is in an {@link IndexedHeap}. */
    public final boolean inHeap() {
        return heapIndex >= 0;
    }
}
