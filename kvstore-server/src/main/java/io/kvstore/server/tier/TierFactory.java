package io.kvstore.server.tier;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.progress.Progress;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.tier.TierManagedPolicy;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.tier.dram.DramTier;
import io.kvstore.tier.dram.DramTierConfig;
import io.kvstore.tier.hbm.HbmSimConfig;
import io.kvstore.tier.hbm.HbmSimTier;
import io.kvstore.tier.nvme.NvmeTier;
import io.kvstore.tier.nvme.NvmeTierConfig;
import io.kvstore.tier.remote.RemoteTier;
import io.kvstore.tier.remote.RemoteTierConfig;
import io.kvstore.tier.remote.WriteThroughTier;
import io.kvstore.core.tier.Tier;
import io.kvstore.policy.linked.LruPolicy;
import io.kvstore.tier.nvme.WalMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Turns the config into the store's levels, top first: HBM (emulated, {@code HbmSimTier}), DRAM (off-heap
 * {@code DramTier}, by default in {@code /dev/shm} so that it survives a daemon restart: {@link DramPlacement}), NVMe ({@code NvmeTier}: segment files and a RocksDB index under {@code dataDir/nvme}),
 * each present when its capacity is above zero; then, when {@code remoteSeeds} is set, the shared remote tier on
 * Redis Cluster ({@code RemoteTier}) as the last level, which takes no direct puts and no promotions
 * ({@code withRules(false, false)}): blocks reach it by demotion from the last local level (write-back) and,
 * with {@code remoteWriteThroughBlocks > 0}, by copy from the top local level ({@code WriteThroughTier}). This is
 * the one place that names tier implementations; nothing else in the server knows which classes implement the
 * tiers.
 */
public final class TierFactory {

    private static final Logger LOG = LoggerFactory.getLogger(TierFactory.class);
    /** Payload bytes waiting for write-through to the cluster; beyond that hot blocks are skipped (counted). */
    private static final long WRITE_THROUGH_QUEUE_BYTES = 64L << 20;
    /** Tries to reach the cluster at start-up before the daemon refuses to start. */
    private static final int OPEN_ATTEMPTS = 3;

    /**
     * The block size policies assume when they size their sketches and ghost lists from a byte capacity: 256 KiB,
     * between a small model's 16-token block and an 8B model's 2 MiB. The default policy replaces the guess by the
     * mean block it tracks once its level is half full ({@code AdaptivePrefixPolicy.sizedBlocks}); for the other
     * policies a wrong guess changes how many counters a sketch has, never what is stored.
     */
    static final long TYPICAL_BLOCK_BYTES = 256 * 1024;

    /**
     * One level as the server needs to know it.
     *
     * @param spec     the store's level
     * @param inMemory true if reads are memory copies that may run on the event loop; false sends them to the
     *                 bounded blocking pool
     */
    public record Level(TierSpec spec, boolean inMemory) {
        public String name() {
            return spec.tier().name();
        }

        /** True if a block stored here survives a restart (PUT with ACK_PERSISTED): {@link Tier#durable()}. */
        public boolean durable() {
            return spec.tier().durable();
        }

        /** True if a clean stop drains the level into the one below: {@link Tier#drainedAtExit()}. */
        public boolean lostAtExit() {
            return spec.tier().drainedAtExit();
        }
    }

    private TierFactory() {
    }

    /** The levels the config asks for, top first. The caller owns the tiers (the store closes them). */
    public static List<Level> build(ServerConfig c) {
        List<Level> out = new ArrayList<>(4);
        try {
            if (c.hbmCapacityBytes() > 0) {
                out.add(hbm(c.hbmCapacityBytes(), policy(c.hbmPolicy(), c.hbmCapacityBytes())));
            }
            if (c.dramCapacityBytes() > 0) {
                out.add(dram(c, policy(c.dramPolicy(), c.dramCapacityBytes())));
            }
            if (c.nvmeCapacityBytes() > 0) {
                out.add(nvme(c.dataDir().resolve("nvme"), c.nvmeCapacityBytes(), policy(c.nvmePolicy(),
                        c.nvmeCapacityBytes()), WalMode.valueOf(c.nvmeWalMode().toUpperCase(Locale.ROOT)),
                        c.nvmeReinsertionPercent()));
            }
        } catch (RuntimeException e) {
            out.forEach(l -> l.spec().tier().close()); // e.g. the DRAM arena's lock, for the next try in this JVM
            throw e;
        }
        if (c.remote().enabled()) {
            addRemote(out, c.remote());
        }
        return out;
    }

    /**
     * Appends the remote level and, if asked, wraps the top local level in write-through. Throws
     * {@code RemoteTierUnavailableException} if no seed answers (after closing the local tiers already opened),
     * so that a daemon configured for a cluster does not silently start without it.
     */
    static void addRemote(List<Level> out, ServerConfig.Remote r) {
        RemoteTierConfig config = RemoteTierConfig.builder(r.seeds()).keyPrefix(r.keyPrefix())
                .timeoutMillis(r.timeoutMillis())
                .capacityBytes(r.capacityBytes() == 0 ? RemoteTierConfig.UNBOUNDED : r.capacityBytes())
                .build();
        RemoteTier remote = null;
        // the first topology fetch runs under timeoutMillis; on a cold JVM (class loading, event loops) 100 ms
        // may not be enough, so a daemon tries a few times before it gives up
        for (int attempt = 1; remote == null; attempt++) {
            try {
                remote = RemoteTier.open(config);
            } catch (RuntimeException e) {
                if (attempt < OPEN_ATTEMPTS) {
                    LOG.warn("remote tier: attempt {} of {} to reach {} failed ({}), retrying", attempt, OPEN_ATTEMPTS,
                            r.seeds(), e.getMessage());
                    continue;
                }
                out.forEach(l -> l.spec().tier().close());
                throw e;
            }
        }
        LOG.info("remote tier: Redis Cluster via {}, key prefix '{}', timeout {} ms, write-through of the first {} "
                + "blocks of every chain", r.seeds(), r.keyPrefix(), r.timeoutMillis(), r.writeThroughBlocks());
        if (r.writeThroughBlocks() > 0 && !out.isEmpty()) {
            Level top = out.get(0);
            TierSpec spec = top.spec();
            Tier wrapped = new WriteThroughTier(spec.tier(), remote, WriteThroughTier.firstBlocks(r.writeThroughBlocks()),
                    WRITE_THROUGH_QUEUE_BYTES);
            out.set(0, new Level(new TierSpec(wrapped, spec.policy(), spec.highWatermark(), spec.lowWatermark(),
                    spec.acceptsWrites(), spec.takesPromotions()), top.inMemory()));
        }
        out.add(new Level(TierSpec.of(remote, new LruPolicy<>()).withRules(false, false), false));
    }

    /** The remote level of {@code levels}, if any (its stats carry the breaker state). */
    public static java.util.Optional<Tier> remote(List<Level> levels) {
        return levels.stream().map(l -> l.spec().tier()).filter(Tier::shared).findFirst();
    }

    /** The store's specs of {@code levels}. */
    public static List<TierSpec> specs(List<Level> levels) {
        return levels.stream().map(Level::spec).toList();
    }

    /**
     * The store's specs of {@code levels}, every level but the last keeping {@code headroomPercent} of its capacity
     * free (its high and low watermarks) for victims the demotion threads are still moving down.
     */
    public static List<TierSpec> specs(List<Level> levels, int headroomPercent) {
        double mark = 1 - headroomPercent / 100.0;
        List<TierSpec> out = new java.util.ArrayList<>(specs(levels));
        for (int i = 0; i + 1 < out.size() && headroomPercent > 0; i++) {
            out.set(i, out.get(i).withWatermarks(mark, mark));
        }
        return out;
    }

    static Level hbm(long capacity, EvictionPolicy<BlockKey> policy) {
        return new Level(TierSpec.of(new HbmSimTier(HbmSimConfig.of("hbm", capacity), NanoClock.system()), policy),
                true);
    }

    /**
     * The DRAM level: by default its arena outlives the process (in {@code /dev/shm}), see {@link DramPlacement}.
     * Not durable for ACK_PERSISTED: a reboot or power loss empties it.
     */
    static Level dram(ServerConfig c, EvictionPolicy<BlockKey> policy) {
        DramTier tier = DramPlacement.open(c, DramTierConfig.of("dram", c.dramCapacityBytes()));
        return new Level(TierSpec.of(tier, policy), true);
    }

    /**
     * The NVMe level. Without a write-ahead log (the default) the tier rebuilds the index records a kill -9 lost from
     * the segment log's tail at open, so blocks whose put returned come back (docs/reliability.md); the tier still
     * counts itself durable (PUT {@code ACK_PERSISTED} answers durable = 1) only with a WAL ({@code NvmeTier.durable}).
     */
    static Level nvme(Path dir, long capacity, EvictionPolicy<BlockKey> policy, WalMode wal, int reinsertionPercent) {
        Progress progress = openProgress("nvme tier");
        progress.phase("loading the index under " + dir);
        NvmeTierConfig config = NvmeTierConfig.builder(dir, capacity).walMode(wal).backgroundReclaim(true)
                .reinsertionShare(reinsertionPercent / 100.0).evictsItself(policy instanceof TierManagedPolicy)
                .build();
        NvmeTier tier = NvmeTier.open(config, progress.asConsumer());
        progress.end();
        java.util.Map<String, Long> opened = tier.stats().details();
        LOG.info("nvme tier: segments and RocksDB index under {}, {} blocks found ({} rebuilt from the log's tail), "
                        + "opened in {} ms, WAL {}", dir, tier.blockCount(), opened.get("recovered_at_open"),
                opened.get("open_millis"), wal);
        // a block promoted out of NVMe keeps its copy there: demoting it again writes nothing
        return new Level(TierSpec.of(tier, policy).withPromotedCopies(true), false);
    }

    /**
     * Progress of a tier's warm restart for the log: nothing if it takes under a second, else a line with the
     * percentage every 5 s, so that a daemon reading a large index does not look hung.
     */
    static Progress openProgress(String tier) {
        return Progress.lines(LOG::info, tier, 1, 5, TimeUnit.SECONDS, NanoClock.system());
    }

    private static EvictionPolicy<BlockKey> policy(String name, long capacity) {
        // 'tier': the config allows it for NVMe only, whose tier then evicts itself
        return TierManagedPolicy.orRegistered(name, new PolicySpec(capacity, TYPICAL_BLOCK_BYTES, 42));
    }
}
