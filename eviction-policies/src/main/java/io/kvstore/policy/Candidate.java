package io.kvstore.policy;

import java.util.Objects;

/**
 * A block offered to a policy, with what a prefix-aware policy needs to know about it.
 *
 * @param key      the block's key
 * @param parent   the key of the block before it in its prefix chain, or {@code null} for the first block
 * @param position the block's index in its chain (0 for the first block)
 * @param weight   bytes the block occupies in the tier; at least 1
 * @param partial  true when the block is a request's trailing partial block (fewer tokens than a full block);
 *                 only traces produce these, since clients hash full blocks only
 * @param <K>      key type
 */
public record Candidate<K>(K key, K parent, int position, long weight, boolean partial) {
    public Candidate {
        Objects.requireNonNull(key, "key");
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1, was " + weight);
        }
    }

    /** A full block with the given chain links. */
    public static <K> Candidate<K> of(K key, K parent, int position, long weight) {
        return new Candidate<>(key, parent, position, weight, false);
    }
}
