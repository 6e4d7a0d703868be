package io.kvstore.policy.frequency;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicySpec;

import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A TinyLFU admission filter around any policy (Einziger, Friedman and Manes, "TinyLFU", 2017): every access,
 * hit or miss, is counted in a {@link FrequencySketch}; while the tier has room every candidate is admitted,
 * and once it is full a candidate is admitted only if it is estimated to be more frequent than the wrapped
 * policy's next victim ({@link EvictionPolicy#peekVictim()}). A policy that cannot name its next victim is
 * never filtered. Everything else is delegated.
 */
public final class TinyLfuPolicy<K> implements EvictionPolicy<K> {
    private final EvictionPolicy<K> delegate;
    private final FrequencySketch sketch;
    private final long capacity;

    public TinyLfuPolicy(EvictionPolicy<K> delegate, PolicySpec spec) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.sketch = new FrequencySketch(spec.capacityBlocks());
        this.capacity = spec.capacityBytes();
    }

    @Override
    public String name() {
        return "tinylfu-" + delegate.name();
    }

    @Override
    public boolean admit(Candidate<K> candidate) {
        if (delegate.contains(candidate.key())) {
            throw new IllegalStateException("already tracked: " + candidate.key());
        }
        sketch.increment(candidate.key());
        if (delegate.weightedSize() + candidate.weight() > capacity) {
            K victim = delegate.peekVictim();
            if (victim != null && sketch.frequency(candidate.key()) <= sketch.frequency(victim)) {
                return false;
            }
        }
        return delegate.admit(candidate);
    }

    @Override
    public void onHit(K key) {
        sketch.increment(key);
        delegate.onHit(key);
    }

    @Override
    public void onRemove(K key) {
        delegate.onRemove(key);
    }

    @Override
    public List<K> evict(long bytesToFree, Predicate<? super K> evictable) {
        return delegate.evict(bytesToFree, evictable);
    }

    @Override
    public K peekVictim() {
        return delegate.peekVictim();
    }

    @Override
    public boolean contains(K key) {
        return delegate.contains(key);
    }

    @Override
    public int size() {
        return delegate.size();
    }

    @Override
    public long weightedSize() {
        return delegate.weightedSize();
    }
}
