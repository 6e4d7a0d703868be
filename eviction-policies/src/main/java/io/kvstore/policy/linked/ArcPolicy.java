package io.kvstore.policy.linked;

import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.support.Node;
import io.kvstore.policy.support.NodeDeque;
import io.kvstore.policy.support.NodePolicy;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * ARC (Megiddo and Modha, FAST'03), weighted by bytes: T1 holds keys seen once recently, T2 keys seen at least
 * twice; ghost lists B1 and B2 remember keys evicted from each. A ghost hit in B1 grows the target size
 * {@code p} of T1, one in B2 shrinks it; victims come from T1 while it is larger than {@code p}, else from T2.
 * The ghost lists are bounded so that T1+B1 and T2+B2 each stay within the capacity.
 */
public final class ArcPolicy<K> extends NodePolicy<K> {
    private static final int T1 = 1;
    private static final int T2 = 2;

    private final NodeDeque<K> t1 = new NodeDeque<>();
    private final NodeDeque<K> t2 = new NodeDeque<>();
    private final Ghost<K> b1 = new Ghost<>();
    private final Ghost<K> b2 = new Ghost<>();
    private final long capacity;
    private long p;

    public ArcPolicy(PolicySpec spec) {
        this.capacity = spec.capacityBytes();
    }

    @Override
    public String name() {
        return "arc";
    }

    @Override
    protected void onAdmitted(Node<K> n) {
        Long w1 = b1.map.get(n.key);
        Long w2 = w1 == null ? b2.map.get(n.key) : null;
        if (w1 != null) {
            long delta = Math.max(n.weight, b1.weight == 0 ? n.weight : n.weight * b2.weight / Math.max(1, b1.weight));
            p = Math.min(capacity, p + delta);
            b1.remove(n.key);
            put(t2, n, T2);
        } else if (w2 != null) {
            long delta = Math.max(n.weight, b2.weight == 0 ? n.weight : n.weight * b1.weight / Math.max(1, b2.weight));
            p = Math.max(0, p - delta);
            b2.remove(n.key);
            put(t2, n, T2);
        } else {
            put(t1, n, T1);
        }
    }

    private void put(NodeDeque<K> q, Node<K> n, int which) {
        n.queue = which;
        q.addLast(n);
    }

    @Override
    protected void onAccess(Node<K> n) {
        if (n.queue == T1) {
            t1.remove(n);
            put(t2, n, T2);
        } else {
            t2.moveToLast(n);
        }
    }

    @Override
    protected void detach(Node<K> n) {
        n.owner().remove(n);
    }

    @Override
    protected void onEvicted(Node<K> n) {
        if (n.queue == T1) {
            b1.add(n.key, n.weight);
            b1.trim(Math.max(0, capacity - t1.weight()));
        } else {
            b2.add(n.key, n.weight);
            b2.trim(Math.max(0, capacity - t2.weight()));
        }
    }

    @Override
    protected Node<K> selectVictim(Predicate<? super K> evictable) {
        boolean fromT1 = !t1.isEmpty() && (t1.weight() > p || t2.isEmpty());
        Node<K> v = firstEvictable(fromT1 ? t1 : t2, evictable);
        return v != null ? v : firstEvictable(fromT1 ? t2 : t1, evictable);
    }

    @Override
    public K peekVictim() {
        boolean fromT1 = !t1.isEmpty() && (t1.weight() > p || t2.isEmpty());
        NodeDeque<K> q = fromT1 ? t1 : t2;
        return q.isEmpty() ? null : q.head().key;
    }

    /** A ghost list: keys and weights, oldest first, with their total weight. */
    private static final class Ghost<K> {
        final LinkedHashMap<K, Long> map = new LinkedHashMap<>();
        long weight;

        void add(K key, long w) {
            map.put(key, w);
            weight += w;
        }

        void remove(K key) {
            Long w = map.remove(key);
            if (w != null) {
                weight -= w;
            }
        }

        void trim(long max) {
            Iterator<Map.Entry<K, Long>> it = map.entrySet().iterator();
            while (weight > max && it.hasNext()) {
                weight -= it.next().getValue();
                it.remove();
            }
        }
    }
}
