package io.kvstore.policy.admission;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;

/**
 * Registry name {@code reused}: admits a block only if it was read at least once since it entered the store
 * ({@link Candidate#hits()} &gt;= 1). At the flash boundary that means: a DRAM victim that nobody read while it was
 * cached is dropped, not written. The count comes from the candidate, or, when the candidate does not carry it
 * ({@link Candidate#UNKNOWN_HITS}), from an installed {@link HitHistory}; with neither, the rule admits everything
 * (and counts the offers it could not judge in {@link #unknown()}). Holds no memory of its own.
 *
 * @param <K> key type
 */
public final class Reused<K> implements AdmissionRule<K> {
    private HitHistory<K> history;
    private long unknown;

    @Override
    public String name() {
        return "reused";
    }

    @Override
    public boolean admit(Candidate<K> candidate, EvictionPolicy<K> inner) {
        long hits = hits(candidate);
        if (hits == Candidate.UNKNOWN_HITS) {
            unknown++;
            return true;
        }
        return hits >= 1;
    }

    /** The candidate's read count, from the candidate or the history; {@link Candidate#UNKNOWN_HITS} if neither says. */
    long hits(Candidate<K> candidate) {
        if (candidate.hitsKnown()) {
            return candidate.hits();
        }
        return history == null ? Candidate.UNKNOWN_HITS : history.hits(candidate.key());
    }

    /** Offers admitted because no read count was available. */
    public long unknown() {
        return unknown;
    }

    @Override
    public void readCountsFrom(HitHistory<K> history) {
        this.history = history;
    }
}
