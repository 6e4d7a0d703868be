package io.kvstore.policy.linked;

import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.support.Node;
import io.kvstore.policy.support.NodeDeque;
import io.kvstore.policy.support.NodePolicy;

import java.util.LinkedHashMap;
import java.util.function.Predicate;

/**
 * S3-FIFO (Yang et al., SOSP'23): a small FIFO (10% of capacity) that filters one-hit wonders, a main FIFO with
 * a 2-bit frequency and reinsertion, and a ghost FIFO of keys recently evicted from the small queue. A new key
 * enters the small queue, or the main queue if the ghost remembers it. Evicting from the small queue promotes
 * keys hit at least once to main and remembers the rest in the ghost; evicting from main reinserts keys with a
 * non-zero frequency (decremented) and drops the first one at zero.
 */
public final class S3FifoPolicy<K> extends NodePolicy<K> {
    private static final int SMALL = 0;
    private static final int MAIN = 1;

    private final NodeDeque<K> small = new NodeDeque<>();
    private final NodeDeque<K> main = new NodeDeque<>();
    private final LinkedHashMap<K, Boolean> ghost = new LinkedHashMap<>();
    private final long smallTarget;
    private final long ghostEntries;

    public S3FifoPolicy(PolicySpec spec) {
        this.smallTarget = Math.max(1, spec.capacityBytes() / 10);
        this.ghostEntries = Math.max(1, spec.capacityBlocks() * 9 / 10);
    }

    @Override
    public String name() {
        return "s3fifo";
    }

    @Override
    protected void onAdmitted(Node<K> n) {
        if (ghost.remove(n.key) != null) {
            n.queue = MAIN;
            main.addLast(n);
        } else {
            n.queue = SMALL;
            small.addLast(n);
        }
    }

    @Override
    protected void onAccess(Node<K> n) {
        n.freq = Math.min(3, n.freq + 1);
    }

    @Override
    protected void detach(Node<K> n) {
        n.owner().remove(n);
    }

    @Override
    protected void onEvicted(Node<K> n) {
        if (n.queue == SMALL) {
            ghost.put(n.key, Boolean.TRUE);
            if (ghost.size() > ghostEntries) {
                ghost.remove(ghost.keySet().iterator().next());
            }
        }
    }

    @Override
    protected Node<K> selectVictim(Predicate<? super K> evictable) {
        // skips count pinned entries passed over since the last change of a frequency; every change is a decrement
        // or a promotion, of which there are finitely many, so the loop ends
        int smallSkips = 0;
        int mainSkips = 0;
        while (true) {
            boolean smallDone = smallSkips >= small.size();
            boolean mainDone = mainSkips >= main.size();
            if (smallDone && mainDone) {
                return null;
            }
            boolean fromSmall = !smallDone && (small.weight() >= smallTarget || mainDone);
            if (fromSmall) {
                Node<K> n = small.head();
                small.remove(n);
                if (n.freq > 0) {
                    n.freq = 0;
                    n.queue = MAIN;
                    main.addLast(n);
                    mainSkips = 0;
                } else {
                    small.addLast(n); // detach() removes a victim again
                    if (evictable.test(n.key)) {
                        return n;
                    }
                    smallSkips++;
                }
            } else {
                Node<K> n = main.head();
                if (n.freq > 0) {
                    n.freq--;
                    main.moveToLast(n);
                    mainSkips = 0;
                } else if (evictable.test(n.key)) {
                    return n;
                } else {
                    main.moveToLast(n);
                    mainSkips++;
                }
            }
        }
    }
}
