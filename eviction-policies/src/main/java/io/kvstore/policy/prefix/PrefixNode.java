package io.kvstore.policy.prefix;

import io.kvstore.policy.support.HeapEntry;

/**
 * One block tracked by {@link AdaptivePrefixPolicy}, kept to what that policy needs so that a tracked block costs
 * 40 bytes of node (12 header, 4 heap slot or child count, 8 priority, 4 key, 4 parent key, 4 chain link, 4
 * weight, with compressed references): the key and its parent's key (both the store's objects, not copies), the
 * weight, the link to the next node of its {@link NodeTable} bucket, and the heap fields of {@link HeapEntry}. The
 * priority orders ties by itself ({@code AdaptivePrefixPolicy.touch}), so the node keeps no tie-breaking stamp. Not
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
