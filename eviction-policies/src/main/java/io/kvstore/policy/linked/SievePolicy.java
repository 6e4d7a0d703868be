package io.kvstore.policy.linked;

import io.kvstore.policy.support.Node;
import io.kvstore.policy.support.NodeDeque;
import io.kvstore.policy.support.NodePolicy;

import java.util.function.Predicate;

/**
 * SIEVE (Zhang et al., NSDI'24): a FIFO queue with a visited bit and a hand that sweeps from the oldest towards
 * the newest entry. A hit sets the bit; the hand clears set bits as it passes and evicts the first unvisited,
 * evictable entry. New entries join at the newest end; survivors are not moved, which keeps hits O(1) and cheap.
 */
public final class SievePolicy<K> extends NodePolicy<K> {
    private final NodeDeque<K> queue = new NodeDeque<>();
    private Node<K> hand;

    @Override
    public String name() {
        return "sieve";
    }

    @Override
    protected void onAdmitted(Node<K> n) {
        queue.addLast(n);
    }

    @Override
    protected void onAccess(Node<K> n) {
        n.freq = 1;
    }

    @Override
    protected void detach(Node<K> n) {
        if (hand == n) {
            hand = n.next();
        }
        queue.remove(n);
    }

    @Override
    protected Node<K> selectVictim(Predicate<? super K> evictable) {
        Node<K> n = hand == null ? queue.head() : hand;
        // two full sweeps clear every bit; past that, nothing is evictable
        for (long steps = 2L * queue.size() + 1; steps > 0 && n != null; steps--) {
            if (n.freq == 0 && evictable.test(n.key)) {
                hand = n.next();
                return n;
            }
            n.freq = 0;
            n = n.next() == null ? queue.head() : n.next();
        }
        return null;
    }
}
