package io.kvstore.policy.prefix;

import io.kvstore.policy.support.HeapEntry;

/**
 * One block tracked by {@link AdaptivePrefixPolicy}, kept to what that policy needs so that a tracked block costs
 * 48 bytes of node (12 header, 4 heap slot, 8 priority, 4 children, 4 key, 4 parent key, 4 chain link, 4 weight,
 * 4 stamp, with compressed references): the key and its parent's key (both the store's objects, not copies), the
 * weight, the link to the next node of its {@link NodeTable} bucket, the last-touch stamp that breaks priority
 * ties, and the heap fields of {@link HeapEntry}. Not
 * thread-safe.
 *
 * @param <K> key type
 */
final class PrefixNode<K> extends HeapEntry<K> {
    final K key;
    final K parent;
    /** Bytes; {@link AdaptivePrefixPolicy} refuses blocks over {@link Integer#MAX_VALUE} bytes. */
    final int weight;
    /** The next node in the same {@link NodeTable} bucket, or null. */
    PrefixNode<K> chain;
    /** The policy's access counter at the last touch (wraps after 2^31 accesses, which only blurs ties). */
    int stamp;

    /** Among equal priorities, the node touched longer ago leaves first. */
    @Override
    protected long tieBreak() {
        return stamp;
    }

    PrefixNode(K key, K parent, int weight) {
        this.key = key;
        this.parent = parent;
        this.weight = weight;
    }

    @Override
    public K key() {
        return key;
    }
}
