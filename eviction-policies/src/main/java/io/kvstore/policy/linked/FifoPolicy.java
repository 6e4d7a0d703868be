package io.kvstore.policy.linked;

import io.kvstore.policy.support.Node;
import io.kvstore.policy.support.NodeDeque;
import io.kvstore.policy.support.NodePolicy;

import java.util.function.Predicate;

/** First in, first out: hits change nothing; the oldest admitted key goes first. */
public final class FifoPolicy<K> extends NodePolicy<K> {
    private final NodeDeque<K> queue = new NodeDeque<>();

    @Override
    public String name() {
        return "fifo";
    }

    @Override
    protected void onAdmitted(Node<K> n) {
        queue.addLast(n);
    }

    @Override
    protected void onAccess(Node<K> n) {
    }

    @Override
    protected void detach(Node<K> n) {
        queue.remove(n);
    }

    @Override
    protected Node<K> selectVictim(Predicate<? super K> evictable) {
        return firstEvictable(queue, evictable);
    }

    @Override
    public K peekVictim() {
        return queue.isEmpty() ? null : queue.head().key;
    }
}
