package io.kvstore.bench.sim;

import java.util.List;

/**
 * What one replay measured.
 *
 * @param policies          policy name of each tier, top first
 * @param tiers             tier names, top first
 * @param capacityBlocks    capacity of each tier in blocks
 * @param requestedBlocks   blocks requested, summed over requests
 * @param hitBlocks         prefix-hit blocks (leading blocks cached when the request arrived)
 * @param requestedTokens   prompt tokens, summed over requests
 * @param hitTokens         tokens in prefix-hit blocks
 * @param hitsPerTier       prefix-hit blocks found in each tier, top first
 * @param evictions         blocks dropped from the store (evicted from the last tier)
 * @param refused           admissions refused, summed over tiers
 * @param perRequestHits    for each request, hit blocks in each tier ({@code [request][tier]}), or null if not
 *                          recorded
 * @param nanos             wall time of the replay
 */
public record ReplayResult(List<String> policies, List<String> tiers, long[] capacityBlocks, long requestedBlocks,
                           long hitBlocks, long requestedTokens, long hitTokens, long[] hitsPerTier, long evictions,
                           long refused, int[][] perRequestHits, long nanos) {

    /** Prefix hit ratio by blocks. */
    public double hitRatioBlocks() {
        return requestedBlocks == 0 ? 0 : (double) hitBlocks / requestedBlocks;
    }

    /** Prefix hit ratio by tokens. */
    public double hitRatioTokens() {
        return requestedTokens == 0 ? 0 : (double) hitTokens / requestedTokens;
    }
}
