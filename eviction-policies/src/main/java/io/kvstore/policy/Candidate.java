package io.kvstore.policy;

import java.util.Objects;

/**
 * A block offered to a policy, with what a prefix-aware policy or an admission filter needs to know about it.
 *
 * @param key      the block's key
 * @param parent   the key of the block before it in its prefix chain, or {@code null} for the first block
 * @param position the block's index in its chain (0 for the first block)
 * @param weight   bytes the block occupies in the tier; at least 1
 * @param partial  true when the block is a request's trailing partial block (fewer tokens than a full block);
 *                 only traces produce these, since clients hash full blocks only
 * @param hits     reads of the block since it entered the store (across tiers), or {@link #UNKNOWN_HITS} when
 *                 the caller does not say; a flash admission filter ({@code reused:<policy>}) admits a demoted
 *                 block only if it was read at least once
 * @param parentCachedElsewhere true when the parent is cached in another tier of the same store (the caller
 *                 knows, the policy does not): a prefix hit then reads the parent there and this block here, so a
 *                 policy that refuses blocks whose parent it dropped ({@code adaptive-prefix}) does not refuse this
 *                 one. Always false for a single tier
 * @param <K>      key type
 */
public record Candidate<K>(K key, K parent, int position, long weight, boolean partial, long hits,
                           boolean parentCachedElsewhere) {

    /** {@link #hits()} when the caller does not track reads. */
    public static final long UNKNOWN_HITS = -1;

    public Candidate {
        Objects.requireNonNull(key, "key");
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1, was " + weight);
        }
        if (hits < UNKNOWN_HITS) {
            throw new IllegalArgumentException("hits must be >= 0 or UNKNOWN_HITS, was " + hits);
        }
    }

    /** A candidate whose parent is not cached in another tier. */
    public Candidate(K key, K parent, int position, long weight, boolean partial, long hits) {
        this(key, parent, position, weight, partial, hits, false);
    }

    /** A candidate whose read count is not known ({@link #UNKNOWN_HITS}). */
    public Candidate(K key, K parent, int position, long weight, boolean partial) {
        this(key, parent, position, weight, partial, UNKNOWN_HITS, false);
    }

    /** A full block with the given chain links. */
    public static <K> Candidate<K> of(K key, K parent, int position, long weight) {
        return new Candidate<>(key, parent, position, weight, false, UNKNOWN_HITS, false);
    }

    /** True if {@link #hits()} is known. */
    public boolean hitsKnown() {
        return hits != UNKNOWN_HITS;
    }
}
