package io.kvstore.core.tier;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A {@link Tier} that forwards every call to another; decorators extend it and override what they change
 * ({@link SharedTierView}, the remote module's write-through tier). Closing closes the wrapped tier unless a
 * subclass says otherwise.
 *
 * <p>Thread-safety and buffer ownership: those of the wrapped tier.
 */
public abstract class ForwardingTier implements Tier {

    /** The wrapped tier. */
    protected final Tier tier;

    protected ForwardingTier(Tier tier) {
        this.tier = Objects.requireNonNull(tier, "tier");
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
    public void awaitWritable() {
        tier.awaitWritable();
    }

    @Override
    public boolean writableWithoutWaiting() {
        return tier.writableWithoutWaiting();
    }

    @Override
    public void dropListener(TierDropListener listener) {
        tier.dropListener(listener);
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
    public boolean confirm(BlockKey key) {
        return tier.confirm(key);
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

    @Override
    public boolean shared() {
        return tier.shared();
    }

    @Override
    public boolean evictsItself() {
        return tier.evictsItself();
    }

    /**
     * The wrapped tier's. {@link #drainedAtExit} and {@link #sharedMemory} are not forwarded: a wrapper that wants
     * them says so itself (the emulated HBM drains; no wrapper offers shared memory).
     */
    @Override
    public boolean durable() {
        return tier.durable();
    }

    @Override
    public void close() {
        tier.close();
    }
}
