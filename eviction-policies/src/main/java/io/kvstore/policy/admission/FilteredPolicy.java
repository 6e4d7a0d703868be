package io.kvstore.policy.admission;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;

import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * An eviction policy behind an admission rule: a candidate the rule refuses is not offered to the policy (and so
 * not written to the tier); everything else is delegated. Registry name {@code <rule>:<policy>} (TinyLFU:
 * {@code tinylfu-<policy>}).
 *
 * @param <K> key type
 */
public final class FilteredPolicy<K> implements EvictionPolicy<K> {
    private final AdmissionRule<K> rule;
    private final EvictionPolicy<K> inner;
    private long offered;
    private long refused;

    public FilteredPolicy(AdmissionRule<K> rule, EvictionPolicy<K> inner) {
        this.rule = Objects.requireNonNull(rule, "rule");
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public String name() {
        return rule.nameWith(inner.name());
    }

    /** The admission rule. */
    public AdmissionRule<K> rule() {
        return rule;
    }

    /** The eviction policy behind the rule. */
    public EvictionPolicy<K> inner() {
        return inner;
    }

    /** Candidates offered so far. */
    public long offered() {
        return offered;
    }

    /** Candidates the rule refused so far. */
    public long refused() {
        return refused;
    }

    @Override
    public boolean admit(Candidate<K> candidate) {
        if (inner.contains(candidate.key())) {
            throw new IllegalStateException("already tracked: " + candidate.key());
        }
        offered++;
        if (!rule.admit(candidate, inner)) {
            refused++;
            return false;
        }
        return inner.admit(candidate);
    }

    @Override
    public void onHit(K key) {
        rule.onHit(key);
        inner.onHit(key);
    }

    @Override
    public void onRemove(K key) {
        inner.onRemove(key);
    }

    @Override
    public List<K> evict(long bytesToFree, Predicate<? super K> evictable) {
        return inner.evict(bytesToFree, evictable);
    }

    @Override
    public K peekVictim() {
        return inner.peekVictim();
    }

    @Override
    public boolean contains(K key) {
        return inner.contains(key);
    }

    @Override
    public int size() {
        return inner.size();
    }

    @Override
    public long weightedSize() {
        return inner.weightedSize();
    }

    /** The inner policy's figures (the rule keeps none worth exporting). */
    @Override
    public java.util.Map<String, Long> details() {
        return inner.details();
    }
}
