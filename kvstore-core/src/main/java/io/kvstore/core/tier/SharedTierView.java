package io.kvstore.core.tier;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One tier used by several {@code TieredStore}s in one process as their shared last level: the multi-node
 * simulator (one {@link MetadataOnlyTier} standing for a Redis Cluster under N simulated daemons) and tests.
 * Every call goes to the wrapped tier; {@link #shared()} is true; {@link #close()} does nothing, because each
 * store closes its tiers and the wrapped tier belongs to whoever created the views (close it once, last).
 *
 * <p>Thread-safety and buffer ownership: those of the wrapped tier.
 */
public final class SharedTierView implements Tier {

    private final Tier tier;

    public SharedTierView(Tier tier) {
        this.tier = Objects.requireNonNull(tier, "tier");
    }

    @Override
    public boolean shared() {
        return true;
    }

    /** Does nothing: the wrapped tier is closed by its owner. */
    @Override
    public void close() {
    }

    @Override
    public String name() {
        return tier.name();
    }

    @Override
    public long capacityBytes() {
        return tier.capacityBytes();
    }

    @Override
    public long usedBytes() {
        return tier.usedBytes();
    }

    @Override
    public long blockCount() {
        return tier.blockCount();
    }

    @Override
    public long footprint(int length) {
        return tier.footprint(length);
    }

    @Override
    public PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        return tier.put(meta, payload);
    }

    @Override
    public ReadResult read(BlockKey key) {
        return tier.read(key);
    }

    @Override
    public List<ReadResult> readAll(List<BlockKey> keys) {
        return tier.readAll(keys);
    }

    @Override
    public Optional<BlockMeta> meta(BlockKey key) {
        return tier.meta(key);
    }

    @Override
    public boolean contains(BlockKey key) {
        return tier.contains(key);
    }

    @Override
    public boolean remove(BlockKey key) {
        return tier.remove(key);
    }

    @Override
    public void forEach(Consumer<BlockMeta> visitor) {
        tier.forEach(visitor);
    }

    @Override
    public boolean storesPayloads() {
        return tier.storesPayloads();
    }

    @Override
    public TierStats stats() {
        return tier.stats();
    }
}
