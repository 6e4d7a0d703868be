package io.kvstore.policy.admission;

import io.kvstore.policy.Candidate;

/**
 * Reads of a block since it entered the store, across tiers, for rules that gate on reuse when the caller
 * cannot put the count into {@link Candidate#hits()}. The trace simulator provides one until the engine passes
 * the count in the candidate.
 *
 * @param <K> key type
 */
@FunctionalInterface
public interface HitHistory<K> {

    /** Reads of {@code key} since it entered the store, or {@link Candidate#UNKNOWN_HITS}. */
    long hits(K key);
}
