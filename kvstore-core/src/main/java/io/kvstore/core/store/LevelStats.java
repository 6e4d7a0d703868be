package io.kvstore.core.store;

import io.kvstore.core.tier.TierStats;

/**
 * Store-level counters of one tier, next to the tier's own stats.
 *
 * @param tier        the tier's own snapshot
 * @param policy      the name of its eviction policy
 * @param hits        gets served from this tier
 * @param admitted    blocks written here by puts
 * @param rejected    puts its policy refused
 * @param demotedIn   blocks moved in from the tier above
 * @param demotedOut  victims moved down to the next tier
 * @param evicted     victims dropped from the store
 * @param evictedBytes bytes of victims chosen here (moved down or dropped)
 * @param promotedIn  blocks moved up into this tier
 * @param corrupt     blocks that failed their checksum here
 */
public record LevelStats(TierStats tier, String policy, long hits, long admitted, long rejected, long demotedIn,
                         long demotedOut, long evicted, long evictedBytes, long promotedIn, long corrupt) {
}
