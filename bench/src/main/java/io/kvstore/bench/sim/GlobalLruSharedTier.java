package io.kvstore.bench.sim;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierStats;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The simulator's stand-in for the Redis Cluster remote tier: one metadata-only tier that the {@code TieredStore}s
 * of all simulated nodes share ({@link #shared()} is true), holding at most {@code capacityBlocks} blocks and
 * evicting by its own <em>global</em> LRU, as Redis does with {@code maxmemory-policy allkeys-lru}. The stores
 * see an unbounded tier (as with {@code remoteCapacityBytes=0}), so they never pick victims there themselves; a
 * block this tier dropped is found missing on the next read and the store forgets it, as with Redis.
 *
 * <p>{@link #read} is an access (moves the block to the most recent end, like a Redis {@code GET});
 * {@link #meta} and {@link #contains} are not (the store's {@code contains} uses them). One block weighs one
 * unit. Not thread-safe: the cluster replay is single-threaded. {@link #close()} does nothing, because every
 * store closes its tiers and this one is shared.
 */
public final class GlobalLruSharedTier implements Tier {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final long UNBOUNDED = Long.MAX_VALUE / 4;

    private final String name;
    private final long capacityBlocks;
    /** Access order, least recent first (the values are unused). */
    private final LinkedHashMap<BlockKey, Boolean> lru = new LinkedHashMap<>(1 << 16, 0.75f, true);
    /** The blocks' metadata, looked up without touching the order. */
    private final HashMap<BlockKey, BlockMeta> metas = new HashMap<>(1 << 16);
    private long hits;
    private long misses;
    private long evictions;

    public GlobalLruSharedTier(String name, long capacityBlocks) {
        if (capacityBlocks < 1) {
            throw new IllegalArgumentException("capacityBlocks must be >= 1, was " + capacityBlocks);
        }
        this.name = name;
        this.capacityBlocks = capacityBlocks;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long capacityBytes() {
        return UNBOUNDED;
    }

    @Override
    public long usedBytes() {
        return lru.size();
    }

    @Override
    public long blockCount() {
        return lru.size();
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public boolean storesPayloads() {
        return false;
    }

    /** Blocks this tier evicted to stay within its capacity. */
    public long evictions() {
        return evictions;
    }

    /** The tier's real bound, in blocks. */
    public long capacityBlocks() {
        return capacityBlocks;
    }

    @Override
    public PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        if (metas.containsKey(meta.key())) {
            lru.get(meta.key()); // a SET refreshes the key's clock
            return PutOutcome.ALREADY_PRESENT;
        }
        lru.put(meta.key(), Boolean.TRUE);
        metas.put(meta.key(), meta);
        while (lru.size() > capacityBlocks) {
            var it = lru.keySet().iterator();
            metas.remove(it.next());
            it.remove();
            evictions++;
        }
        return PutOutcome.STORED;
    }

    @Override
    public ReadResult read(BlockKey key) {
        BlockMeta m = metas.get(key);
        if (m == null) {
            misses++;
            return ReadResult.miss();
        }
        lru.get(key);
        hits++;
        return ReadResult.hit(RefCountedHandle.create(m, EMPTY, null));
    }

    @Override
    public Optional<BlockMeta> meta(BlockKey key) {
        return Optional.ofNullable(metas.get(key)); // the plain map: no access-order change
    }

    @Override
    public boolean remove(BlockKey key) {
        metas.remove(key);
        return lru.remove(key) != null;
    }

    @Override
    public void forEach(Consumer<BlockMeta> visitor) {
        metas.values().forEach(visitor);
    }

    @Override
    public TierStats stats() {
        return new TierStats(name, UNBOUNDED, lru.size(), lru.size(), hits, misses, 0,
                Map.of("capacity_blocks", capacityBlocks, "evictions_total", evictions));
    }

    @Override
    public void close() {
        // shared by every simulated node's store; nothing to release
    }
}
