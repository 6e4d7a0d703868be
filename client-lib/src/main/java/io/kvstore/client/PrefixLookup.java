package io.kvstore.client;

import io.kvstore.core.key.BlockKey;

import java.util.List;

/**
 * The answer to a LOOKUP.
 *
 * @param keys      the keys asked about
 * @param hitBlocks how many leading keys are cached
 * @param tiers     the tier of each hit block
 */
public record PrefixLookup(List<BlockKey> keys, int hitBlocks, List<String> tiers) {

    /** The cached keys, in order. */
    public List<BlockKey> hitKeys() {
        return keys.subList(0, hitBlocks);
    }
}
