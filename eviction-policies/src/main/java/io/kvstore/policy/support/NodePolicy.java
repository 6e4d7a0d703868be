package io.kvstore.policy.support;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.function.Predicate;

/**
 * The bookkeeping every node-based policy shares: the key to {@link Node} map, the weighted size, duplicate
 * checks and the eviction loop. A subclass decides admission ({@link #shouldAdmit}), placement
 * ({@link #onAdmitted}), reaction to hits ({@link #onAccess}), detaching ({@link #detach}) and the next victim
 * ({@link #selectVictim}). Not thread-safe, like every policy.
 *
 * @param <K> key type
 */
public abstract class NodePolicy<K> implements EvictionPolicy<K> {
    /** Tracked keys. */
    protected final HashMap<K, Node<K>> nodes = new HashMap<>();
    private long weightedSize;

    @Override
    public final boolean admit(Candidate<K> candidate) {
        if (nodes.containsKey(candidate.key())) {
            throw new IllegalStateException("already tracked: " + candidate.key());
        }
        if (!shouldAdmit(candidate)) {
            return false;
        }
        Node<K> n = new Node<>(candidate);
        nodes.put(n.key, n);
        weightedSize += n.weight;
        onAdmitted(n);
        return true;
    }

    @Override
    public final void onHit(K key) {
        Node<K> n = nodes.get(key);
        if (n != null) {
            onAccess(n);
        }
    }

    @Override
    public final void onRemove(K key) {
        Node<K> n = nodes.remove(key);
        if (n != null) {
            weightedSize -= n.weight;
            detach(n);
        }
    }

    @Override
    public final List<K> evict(long bytesToFree, Predicate<? super K> evictable) {
        if (bytesToFree <= 0) {
            return List.of();
        }
        List<K> victims = new ArrayList<>(2);
        long freed = 0;
        while (freed < bytesToFree && !nodes.isEmpty()) {
            Node<K> v = selectVictim(evictable);
            if (v == null) {
                break;
            }
            nodes.remove(v.key);
            weightedSize -= v.weight;
            detach(v);
            onEvicted(v);
            freed += v.weight;
            victims.add(v.key);
        }
        return victims;
    }

    @Override
    public final boolean contains(K key) {
        return nodes.containsKey(key);
    }

    @Override
    public final int size() {
        return nodes.size();
    }

    @Override
    public final long weightedSize() {
        return weightedSize;
    }

    /** The tracked node of {@code n}'s parent, or null. */
    protected final Node<K> trackedParent(Node<K> n) {
        return n.parent == null ? null : nodes.get(n.parent);
    }

    /** True to admit a candidate that is not tracked. Admits everything by default. */
    protected boolean shouldAdmit(Candidate<K> candidate) {
        return true;
    }

    /** Places a newly tracked node. */
    protected abstract void onAdmitted(Node<K> n);

    /** Reacts to a hit on a tracked node. */
    protected abstract void onAccess(Node<K> n);

    /** Takes a node out of the policy's structures (it is already out of the map). */
    protected abstract void detach(Node<K> n);

    /** Called after a victim was detached, e.g. to remember it in a ghost list. */
    protected void onEvicted(Node<K> n) {
    }

    /**
     * The next victim among tracked evictable nodes, or null if none; must not detach it. May reorder nodes
     * (second chances). Must terminate even when no node is evictable.
     */
    protected abstract Node<K> selectVictim(Predicate<? super K> evictable);

    /** The oldest evictable node of a deque, or null. */
    protected static <K> Node<K> firstEvictable(NodeDeque<K> q, Predicate<? super K> evictable) {
        for (Node<K> n = q.head(); n != null; n = n.next()) {
            if (evictable.test(n.key)) {
                return n;
            }
        }
        return null;
    }
}
