package io.kvstore.policy.admission;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;

/**
 * Decides whether a block may enter a tier at all, before the tier's eviction policy sees it. Used at the flash
 * boundary: blocks reach the NVMe level as victims of DRAM (or as puts DRAM refused), and a refused block is
 * dropped instead of written, so the rule decides what is worth a flash write. A rule is combined with any
 * eviction policy by {@link FilteredPolicy} (registry name {@code <rule>:<policy>}, e.g. {@code admit2:fifo}).
 * Memory is bounded at creation. Not thread-safe, like every policy.
 *
 * @param <K> key type
 */
public interface AdmissionRule<K> {

    /** The registry name of the rule, e.g. {@code admit2}. */
    String name();

    /** The registry name of this rule in front of {@code policy}: {@code <rule>:<policy>} unless a rule says otherwise. */
    default String nameWith(String policy) {
        return name() + ":" + policy;
    }

    /**
     * Decides on a candidate the tier does not hold. Called once per offer, so a rule may record the offer.
     *
     * @param candidate the block
     * @param inner     the eviction policy of the tier (read only: a rule may compare with its next victim)
     */
    boolean admit(Candidate<K> candidate, EvictionPolicy<K> inner);

    /** A block was read (the tier's policy ignores it if it does not hold it). */
    default void onHit(K key) {
    }

    /**
     * Where to read a block's read count when the store does not put it in the {@link Candidate} (the simulator
     * installs one; see {@link HitHistory}). Ignored by rules that do not use read counts.
     */
    default void readCountsFrom(HitHistory<K> history) {
    }
}
