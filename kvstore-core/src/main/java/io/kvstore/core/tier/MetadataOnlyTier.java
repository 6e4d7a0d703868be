package io.kvstore.core.tier;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;

/**
 * A tier that accounts sizes but stores no payload bytes: the simulator's stand-in for a real tier, so that a
 * trace replays through the real {@code TieredStore} and policies at production capacities in minutes.
 * {@link #put} accepts any payload buffer and ignores its bytes; a read hit returns a handle with an empty
 * payload.
 */
public final class MetadataOnlyTier extends AbstractMapTier<BlockMeta> {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    public MetadataOnlyTier(String name, long capacityBytes) {
        super(name, capacityBytes);
    }

    @Override
    BlockMeta metaOf(BlockMeta entry) {
        return entry;
    }

    @Override
    BlockMeta newEntry(BlockMeta meta, ByteBuffer payload) {
        return meta;
    }

    @Override
    public ReadResult read(BlockKey key) {
        checkOpen();
        BlockMeta m = entries.get(key);
        if (m == null) {
            misses.increment();
            return ReadResult.miss();
        }
        hits.increment();
        return ReadResult.hit(RefCountedHandle.create(m, EMPTY, null));
    }

    @Override
    public boolean storesPayloads() {
        return false;
    }
}
