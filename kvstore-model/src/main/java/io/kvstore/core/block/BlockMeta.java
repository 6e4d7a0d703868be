package io.kvstore.core.block;

import io.kvstore.core.key.BlockKey;

import java.util.Objects;

/**
 * Everything about a block but its payload.
 *
 * @param key         the block's chained key
 * @param parent      the key before it in the chain; for the first block, the namespace root
 * @param position    index in the chain, 0 for the first block
 * @param namespaceId id of the namespace the block belongs to ({@code Namespace#id()})
 * @param layoutId    id of the KV layout ({@code Namespace#layoutId()})
 * @param length      payload length in bytes
 * @param crc32c      CRC32C of the payload
 */
public record BlockMeta(BlockKey key, BlockKey parent, int position, long namespaceId, int layoutId, int length,
                        int crc32c) {

    public BlockMeta {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(parent, "parent");
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0, was " + length);
        }
    }

    /** This metadata with {@code parent} (an equal key, e.g. the object another entry holds) as its parent. */
    public BlockMeta withParent(BlockKey parent) {
        return new BlockMeta(key, parent, position, namespaceId, layoutId, length, crc32c);
    }

    /** This metadata with {@code crc32c} as the payload's checksum. */
    public BlockMeta withCrc32c(int crc32c) {
        return new BlockMeta(key, parent, position, namespaceId, layoutId, length, crc32c);
    }
}
