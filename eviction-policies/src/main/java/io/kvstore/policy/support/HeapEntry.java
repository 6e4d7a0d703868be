package io.kvstore.policy.support;

/**
 * What an {@link IndexedHeap} needs of an entry: its slot, a priority, and (for a {@link LeafHeap}) the count of
 * its tracked children. {@link Node} is the general entry every policy can use; a policy that must keep its
 * per-block memory small declares a leaner subclass with only the fields it needs. Not thread-safe.
 *
 * <p>The slot and the child count share one {@code int}: a {@link LeafHeap} holds only leaves, so an entry in a
 * heap has no children and an entry with children is in no heap. That saves four bytes of every entry, which for
 * the default policy's node is the difference between 48 and 40 bytes (objects are padded to eight).
 *
 * @param <K> key type
 */
public abstract class HeapEntry<K> {
    /**
     * {@code >= 0}: the entry's slot in a heap (it has no children); {@code -1}: in no heap, no children;
     * {@code <= -2}: in no heap, {@code -1 - slotOrChildren} children.
     */
    int slotOrChildren = -1;
    /** A heap priority (smaller leaves the heap first; larger survives longer). */
    public double priority;

    /** The entry's key. */
    public abstract K key();

    /** Orders entries of equal priority (smaller first); 0 unless a subclass keeps a tie-breaker. */
    protected long tieBreak() {
        return 0;
    }

    /** True while the entry is in an {@link IndexedHeap}. */
    public final boolean inHeap() {
        return slotOrChildren >= 0;
    }

    /** Number of tracked children (prefix-aware policies; kept by {@link LeafHeap}); 0 while in a heap. */
    public final int children() {
        return slotOrChildren < -1 ? -1 - slotOrChildren : 0;
    }

    /** Sets the number of tracked children of an entry that is in no heap. */
    final void children(int children) {
        if (inHeap()) {
            throw new IllegalStateException("an entry in a heap has no children: " + key());
        }
        slotOrChildren = -1 - children;
    }
}
