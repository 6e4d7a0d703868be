package io.kvstore.core.store;

import io.kvstore.core.tier.TierStats;

/**
 * Store-level counters of one tier, next to the tier's own stats.
 *
 * @param tier            the tier's own snapshot
 * @param policy          the name of its eviction policy
 * @param hits            gets served from this tier
 * @param admitted        blocks written here by puts
 * @param rejected        puts its policy refused
 * @param demotedIn       blocks moved in from the tier above
 * @param demotedOut      victims moved down to the next tier (with or without a write there)
 * @param evicted         victims dropped from the store
 * @param evictedBytes    bytes of victims chosen here (moved down or dropped)
 * @param promotedIn      blocks copied up into this tier
 * @param corrupt         blocks that failed their checksum here
 * @param admittedBytes   payload bytes written here by puts
 * @param demotedInBytes  payload bytes written here by demotions (a demotion onto a clean copy writes nothing)
 * @param promotedInBytes payload bytes written here by promotions
 * @param cleanDemotions  victims whose copy below was already there (promoted out of a persistent tier): no write
 * @param tierDropped     blocks the tier dropped on its own (flash segment reclaim), see
 *                        {@link io.kvstore.core.tier.TierDropListener}
 * @param copiesDropped   victims chosen here whose block stays cached in another tier (an inclusive copy)
 * @param evictionAgeNanos how long victims chosen here had sat unread (smoothed); {@link Long#MAX_VALUE} before the
 *                        first victim
 * @param promotedCopyHits hits in the tiers above on blocks promoted out of this one that it still holds a copy
 *                        of (what its promotions earned: {@code PromotionYield})
 * @param promotionsSkipped hits here whose promotion was skipped because promotions out of this tier were not
 *                        earning their cost ({@code PromotionYield})
 * @param policyDetails   the policy's own figures ({@code EvictionPolicy.details()}), e.g. whether the default
 *                        policy's admission filter is on
 */
public record LevelStats(TierStats tier, String policy, long hits, long admitted, long rejected, long demotedIn,
                         long demotedOut, long evicted, long evictedBytes, long promotedIn, long corrupt,
                         long admittedBytes, long demotedInBytes, long promotedInBytes, long cleanDemotions,
                         long tierDropped, long copiesDropped, long evictionAgeNanos, long promotedCopyHits,
                         long promotionsSkipped, java.util.Map<String, Long> policyDetails) {

    /** Payload bytes the store wrote into this tier, whatever the cause. */
    public long bytesWritten() {
        return admittedBytes + demotedInBytes + promotedInBytes;
    }
}
