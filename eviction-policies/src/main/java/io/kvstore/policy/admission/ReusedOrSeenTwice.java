package io.kvstore.policy.admission;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;

/**
 * Registry name {@code reused-or-admit2}: admits a block that was read since it entered the store ({@link Reused})
 * or, if it was not, one offered before within the doorkeeper's window ({@link SeenTwice}). Blocks nobody read
 * get one more chance than under {@code reused}: the next time they are requested and demoted they are written.
 * Memory: the doorkeeper's.
 *
 * @param <K> key type
 */
public final class ReusedOrSeenTwice<K> implements AdmissionRule<K> {
    private final Reused<K> reused = new Reused<>();
    private final SeenTwice<K> doorkeeper;

    public ReusedOrSeenTwice(long window) {
        this.doorkeeper = new SeenTwice<>(window);
    }

    @Override
    public String name() {
        return "reused-or-admit2";
    }

    @Override
    public boolean admit(Candidate<K> candidate, EvictionPolicy<K> inner) {
        long hits = reused.hits(candidate);
        boolean seen = doorkeeper.seenBefore(candidate.key()); // record every offer
        return hits >= 1 || hits == Candidate.UNKNOWN_HITS || seen;
    }

    @Override
    public void readCountsFrom(HitHistory<K> history) {
        reused.readCountsFrom(history);
    }
}
