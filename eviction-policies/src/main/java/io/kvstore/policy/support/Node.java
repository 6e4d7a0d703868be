package io.kvstore.policy.support;

import io.kvstore.policy.Candidate;

/**
 * One tracked key with the bookkeeping fields the policies in this module need: links for a {@link NodeDeque},
 * a slot for an {@link IndexedHeap} (from {@link HeapEntry}), and a few counters. Each policy uses the fields it needs and ignores the
 * rest; one node type keeps the policies small. Not thread-safe.
 *
 * @param <K> key type
 */
public final class Node<K> extends HeapEntry<K> {
    /** The key. */
    public final K key;
    /** The key of the block before this one in its chain, or null. */
    public final K parent;
    /** Position in the chain. */
    public final int position;
    /** Weight in bytes. */
    public final long weight;
    /** True for a trace's trailing partial block. */
    public final boolean partial;

    Node<K> prev;
    Node<K> next;
    NodeDeque<K> owner;

    /** Access count, or another small counter (S3-FIFO frequency, SIEVE visited bit). */
    public int freq;
    /** A tie-breaker or timestamp (larger is newer). */
    public long stamp;
    /** Which queue of a multi-queue policy holds the node. */
    public int queue;

    /** A node for a candidate. */
    public Node(Candidate<K> c) {
        this.key = c.key();
        this.parent = c.parent();
        this.position = c.position();
        this.weight = c.weight();
        this.partial = c.partial();
    }

    /** The deque that holds this node, or null. */
    public NodeDeque<K> owner() {
        return owner;
    }

    /** The next node towards the tail (newer end) of its deque, or null. */
    public Node<K> next() {
        return next;
    }

    /** The previous node towards the head (older end) of its deque, or null. */
    public Node<K> prev() {
        return prev;
    }

    @Override
    public K key() {
        return key;
    }

    /** The {@link #stamp}: among equal priorities the older node leaves a heap first. */
    @Override
    protected long tieBreak() {
        return stamp;
    }
}
