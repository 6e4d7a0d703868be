package io.kvstore.core.store;

import java.util.List;

/**
 * The longest cached prefix of a list of keys.
 *
 * @param hitBlocks number of leading keys that are cached (stops at the first miss)
 * @param tiers     the tier of each hit block, {@code hitBlocks} entries
 * @param leaseUntilNanos when a requested lease on the hit blocks ends (store clock), or 0 if none was taken
 */
public record LookupResult(int hitBlocks, List<String> tiers, long leaseUntilNanos) {

    public LookupResult {
        tiers = List.copyOf(tiers);
        if (tiers.size() != hitBlocks) {
            throw new IllegalArgumentException("one tier per hit block");
        }
    }
}
