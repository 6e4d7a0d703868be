package io.kvstore.server.tier;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.core.tier.Tier;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.tier.nvme.NvmeTier;
import io.kvstore.tier.nvme.NvmeTierConfig;
import io.kvstore.tier.nvme.WalMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns the config into the store's levels, top first: HBM (emulated), DRAM, NVMe, each present when its
 * capacity is above zero. This is the one place that names tier implementations: when the tier modules are
 * merged, {@link #hbm}, {@link #dram} and {@link #nvme} construct {@code HbmSimTier}, {@code DramTier} and
 * {@code NvmeTier} instead of the stand-ins ({@link HeapTier} for HBM and NVMe, {@link DirectMemoryTier} for
 * DRAM), and set {@link Level#inMemory} / {@link Level#durable}
 * accordingly. Nothing else in the server knows which classes implement the tiers.
 */
public final class TierFactory {

    private static final Logger LOG = LoggerFactory.getLogger(TierFactory.class);

    /**
     * One level as the server needs to know it.
     *
     * @param spec     the store's level
     * @param inMemory true if reads are memory copies that may run on the event loop; false sends them to the
     *                 bounded blocking pool
     * @param durable  true if a block stored here survives a restart (PUT with ACK_PERSISTED)
     */
    public record Level(TierSpec spec, boolean inMemory, boolean durable) {
        public String name() {
            return spec.tier().name();
        }
    }

    private TierFactory() {
    }

    /** The levels the config asks for, top first. The caller owns the tiers (the store closes them). */
    public static List<Level> build(ServerConfig c) {
        List<Level> out = new ArrayList<>(3);
        if (c.hbmCapacityBytes() > 0) {
            out.add(hbm(c.hbmCapacityBytes(), policy(c.hbmPolicy(), c.hbmCapacityBytes())));
        }
        if (c.dramCapacityBytes() > 0) {
            out.add(dram(c.dramCapacityBytes(), policy(c.dramPolicy(), c.dramCapacityBytes())));
        }
        if (c.nvmeCapacityBytes() > 0) {
            out.add(nvme(c.dataDir().resolve("nvme"), c.nvmeCapacityBytes(),
                    policy(c.nvmePolicy(), c.nvmeCapacityBytes()), WalMode.valueOf(c.nvmeWalMode().toUpperCase(Locale.ROOT))));
        }
        return out;
    }

    /** The store's specs of {@code levels}. */
    public static List<TierSpec> specs(List<Level> levels) {
        return levels.stream().map(Level::spec).toList();
    }

    // --- merge point: replace the three bodies below with the real tiers ------------------------------------

    static Level hbm(long capacity, EvictionPolicy<BlockKey> policy) {
        // merge: new HbmSimTier(...) ; inMemory true, durable false
        return new Level(TierSpec.of(heap("hbm", capacity), policy), true, false);
    }

    static Level dram(long capacity, EvictionPolicy<BlockKey> policy) {
        // merge: new DramTier("dram", capacity, ...) ; inMemory true, durable false
        return new Level(TierSpec.of(new DirectMemoryTier("dram", capacity), policy), true, false);
    }

    /**
     * The NVMe level. It counts as durable (PUT {@code ACK_PERSISTED} answers durable = 1) only with a write-ahead
     * log: without one a kill -9 loses the blocks still in RocksDB's memtables (docs/reliability.md).
     */
    static Level nvme(Path dir, long capacity, EvictionPolicy<BlockKey> policy, WalMode wal) {
        NvmeTier tier = NvmeTier.open(NvmeTierConfig.builder(dir, capacity).walMode(wal).build());
        LOG.info("nvme tier: RocksDB under {}, {} blocks found, WAL {}", dir, tier.blockCount(), wal);
        return new Level(TierSpec.of(tier, policy), false, wal != WalMode.DISABLED);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static Tier heap(String name, long capacity) {
        return new HeapTier(name, capacity);
    }

    private static EvictionPolicy<BlockKey> policy(String name, long capacity) {
        return PolicyRegistry.create(name, PolicySpec.ofCapacity(capacity));
    }
}
