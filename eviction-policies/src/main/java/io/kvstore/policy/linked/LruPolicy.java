package io.kvstore.policy.linked;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Least recently used: admits everything, evicts the least recently admitted or hit key first.
 * The baseline every other policy is compared against.
 */
public final class LruPolicy<K> implements EvictionPolicy<K> {

    private final LinkedHashMap<K, Long> weights = new LinkedHashMap<>(16, 0.75f, true);
    private long weightedSize;

    @Override
    public String name() {
        return "lru";
    }

    @Override
    public boolean admit(Candidate<K> candidate) {
        if (weights.putIfAbsent(candidate.key(), candidate.weight()) != null) {
            throw new IllegalStateException("already tracked: " + candidate.key());
        }
        weightedSize += candidate.weight();
        return true;
    }

    @Override
    public void onHit(K key) {
        weights.get(key); // access order: moves the key to the most-recent end
    }

    @Override
    public void onRemove(K key) {
        Long w = weights.remove(key);
        if (w != null) {
            weightedSize -= w;
        }
    }

    @Override
    public List<K> evict(long bytesToFree, Predicate<? super K> evictable) {
        List<K> victims = new ArrayList<>();
        long freed = 0;
        Iterator<Map.Entry<K, Long>> it = weights.entrySet().iterator();
        while (freed < bytesToFree && it.hasNext()) {
            Map.Entry<K, Long> e = it.next();
            if (evictable.test(e.getKey())) {
                victims.add(e.getKey());
                freed += e.getValue();
                weightedSize -= e.getValue();
                it.remove();
            }
        }
        return victims;
    }

    @Override
    public K peekVictim() {
        return weights.isEmpty() ? null : weights.keySet().iterator().next();
    }

    @Override
    public boolean contains(K key) {
        return weights.containsKey(key);
    }

    @Override
    public int size() {
        return weights.size();
    }

    @Override
    public long weightedSize() {
        return weightedSize;
    }
}
