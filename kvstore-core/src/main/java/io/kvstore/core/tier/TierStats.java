package io.kvstore.core.tier;

import java.util.Map;

/**
 * A snapshot of a tier's own counters. Tier-specific figures (free pages, modelled transfer time, compaction
 * bytes) go in {@code details} under stable snake_case names.
 *
 * @param name          the tier's name
 * @param capacityBytes capacity in bytes
 * @param usedBytes     bytes in use
 * @param blocks        blocks stored
 * @param hits          reads that found the block
 * @param misses        reads that did not
 * @param corrupt       blocks that failed their checksum and were removed
 * @param details       tier-specific counters
 */
public record TierStats(String name, long capacityBytes, long usedBytes, long blocks, long hits, long misses,
                        long corrupt, Map<String, Long> details) {

    public TierStats {
        details = Map.copyOf(details);
    }
}
