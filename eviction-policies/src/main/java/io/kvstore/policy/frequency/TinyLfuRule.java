package io.kvstore.policy.frequency;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.admission.AdmissionRule;

/**
 * The TinyLFU admission rule (Einziger, Friedman and Manes, "TinyLFU", 2017), in front of any policy as
 * {@code tinylfu-<policy>} (a {@link io.kvstore.policy.admission.FilteredPolicy}): every access, hit or miss, is
 * counted in a {@link FrequencySketch}; while the tier has room every candidate is admitted, and once it is full a
 * candidate is admitted only if it is estimated to be more frequent than the policy's next victim
 * ({@link EvictionPolicy#peekVictim()}). A policy that cannot name its next victim is never filtered.
 */
public final class TinyLfuRule<K> implements AdmissionRule<K> {
    private final FrequencySketch sketch;
    private final long capacity;

    public TinyLfuRule(PolicySpec spec) {
        this.sketch = new FrequencySketch(spec.capacityBlocks());
        this.capacity = spec.capacityBytes();
    }

    @Override
    public String name() {
        return "tinylfu";
    }

    @Override
    public String nameWith(String policy) {
        return "tinylfu-" + policy;
    }

    @Override
    public boolean admit(Candidate<K> candidate, EvictionPolicy<K> inner) {
        sketch.increment(candidate.key());
        if (inner.weightedSize() + candidate.weight() > capacity) {
            K victim = inner.peekVictim();
            return victim == null || sketch.frequency(candidate.key()) > sketch.frequency(victim);
        }
        return true;
    }

    @Override
    public void onHit(K key) {
        sketch.increment(key);
    }
}
