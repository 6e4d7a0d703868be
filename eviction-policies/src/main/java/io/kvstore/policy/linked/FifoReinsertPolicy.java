package io.kvstore.policy.linked;

import io.kvstore.policy.Relocating;
import io.kvstore.policy.support.Node;
import io.kvstore.policy.support.NodeDeque;
import io.kvstore.policy.support.NodePolicy;

import java.util.function.Predicate;

/**
 * FIFO with reinsertion, the eviction order of a log-structured flash cache that reclaims its oldest region but
 * first rewrites at the head of the log the blocks read since they were written (CacheLib's region reinsertion,
 * second-chance FIFO): a hit sets a bit; at the tail of the queue a block with the bit set is cleared and moved to
 * the head (a relocation write, counted in {@link #relocations()}), a block without it is the victim. Each hit buys
 * at most one rewrite, so relocations never exceed hits.
 */
public final class FifoReinsertPolicy<K> extends NodePolicy<K> implements Relocating {
    private final NodeDeque<K> queue = new NodeDeque<>();
    private long relocations;

    @Override
    public String name() {
        return "fifo-reinsert";
    }

    @Override
    public long relocations() {
        return relocations;
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
        queue.remove(n);
    }

    @Override
    protected Node<K> selectVictim(Predicate<? super K> evictable) {
        Node<K> n = queue.head();
        // one pass clears every bit; a second finds an unvisited evictable node if there is one
        for (long steps = 2L * queue.size() + 1; steps > 0 && n != null; steps--) {
            Node<K> next = n.next();
            if (n.freq != 0) {
                n.freq = 0;
                queue.remove(n);
                queue.addLast(n);
                relocations++;
            } else if (evictable.test(n.key)) {
                return n;
            }
            n = next == null ? queue.head() : next;
        }
        return null;
    }

    // peekVictim: not cheap (the head may be a run of visited blocks), so admission filters in front never refuse
}
