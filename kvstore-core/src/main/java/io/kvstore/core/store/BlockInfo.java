package io.kvstore.core.store;

import io.kvstore.core.block.BlockMeta;

/**
 * What the store knows about one cached block, for admin views.
 *
 * @param meta        the block's metadata
 * @param tier        the tier holding it
 * @param pins        pin count; pinned blocks are never evicted
 * @param leased      true while a lookup lease protects it from eviction
 * @param hits        reads served since it entered the store
 * @param lastAccessNanos store-clock time of its last admission or read
 */
public record BlockInfo(BlockMeta meta, String tier, int pins, boolean leased, long hits, long lastAccessNanos) {
}
