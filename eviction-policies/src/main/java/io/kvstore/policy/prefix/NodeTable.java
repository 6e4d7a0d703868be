package io.kvstore.policy.prefix;

import java.util.Arrays;

/**
 * The key to {@link PrefixNode} map of {@link AdaptivePrefixPolicy}: a chained hash table whose chains run through
 * the nodes themselves ({@link PrefixNode#chain}), so a tracked key costs a quarter to a half of a bucket slot (1 to 2
 * bytes: the table doubles when it holds more than four nodes per bucket, so a lookup walks two to four nodes on
 * average) and no entry object. Keys are compared with
 * {@code equals}. Not thread-safe.
 *
 * @param <K> key type
 */
final class NodeTable<K> {
    private static final int MAX_BUCKETS = 1 << 30;
    private PrefixNode<K>[] buckets;
    private int size;

    /** A table sized for about {@code expected} nodes before it first grows. */
    NodeTable(long expected) {
        this.buckets = newArray((int) Math.min(1 << 20, Math.max(16, Long.highestOneBit(Math.max(1, expected / 4)))));
    }

    @SuppressWarnings("unchecked")
    private static <K> PrefixNode<K>[] newArray(int n) {
        return (PrefixNode<K>[]) new PrefixNode[n];
    }

    private static int spread(Object key) {
        int h = key.hashCode() * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The node of {@code key}, or null. */
    PrefixNode<K> get(Object key) {
        for (PrefixNode<K> n = buckets[spread(key) & (buckets.length - 1)]; n != null; n = n.chain) {
            if (n.key.equals(key)) {
                return n;
            }
        }
        return null;
    }

    /** Adds a node whose key is not in the table. */
    void add(PrefixNode<K> n) {
        if (size >= 4 * buckets.length && buckets.length < MAX_BUCKETS) {
            grow();
        }
        int i = spread(n.key) & (buckets.length - 1);
        n.chain = buckets[i];
        buckets[i] = n;
        size++;
    }

    /** Removes and returns the node of {@code key}, or null. */
    PrefixNode<K> remove(Object key) {
        int i = spread(key) & (buckets.length - 1);
        PrefixNode<K> prev = null;
        for (PrefixNode<K> n = buckets[i]; n != null; prev = n, n = n.chain) {
            if (n.key.equals(key)) {
                if (prev == null) {
                    buckets[i] = n.chain;
                } else {
                    prev.chain = n.chain;
                }
                n.chain = null;
                size--;
                return n;
            }
        }
        return null;
    }

    private void grow() {
        PrefixNode<K>[] old = buckets;
        buckets = newArray(old.length * 2);
        int mask = buckets.length - 1;
        for (PrefixNode<K> head : old) {
            for (PrefixNode<K> n = head; n != null; ) {
                PrefixNode<K> next = n.chain;
                int i = spread(n.key) & mask;
                n.chain = buckets[i];
                buckets[i] = n;
                n = next;
            }
        }
        Arrays.fill(old, null);
    }
}
