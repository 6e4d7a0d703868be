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
 * @param writtenBlocks     blocks written into each tier (puts admitted, demotions in, promotions in), top first
 * @param rewrittenBlocks   of those, demotions into a tier of a block promoted out of it earlier (writes an engine
 *                          that keeps the lower copy of a promoted block would not make, if the copy survived)
 * @param partialWrittenBlocks of those, trailing partial blocks (a real client never stores them)
 * @param relocatedBlocks   blocks each tier's policy rewrote to keep them ({@code Relocating} policies such as
 *                          {@code fifo-reinsert}; not included in {@code writtenBlocks})
 */
public record ReplayResult(List<String> policies, List<String> tiers, long[] capacityBlocks, long requestedBlocks,
                           long hitBlocks, long requestedTokens, long hitTokens, long[] hitsPerTier, long evictions,
                           long refused, int[][] perRequestHits, long nanos, long[] writtenBlocks,
                           long[] rewrittenBlocks, long[] partialWrittenBlocks, long[] relocatedBlocks) {

    /** Prefix hit ratio by blocks. */
    public double hitRatioBlocks() {
        return requestedBlocks == 0 ? 0 : (double) hitBlocks / requestedBlocks;
    }

    /** Prefix hit ratio by tokens. */
    public double hitRatioTokens() {
        return requestedTokens == 0 ? 0 : (double) hitTokens / requestedTokens;
    }
}
