package io.kvstore.bench.engine;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.LevelStats;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.tier.MetadataOnlyTier;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.tier.nvme.NvmeTier;
import io.kvstore.tier.nvme.NvmeTierConfig;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.tier.TierManagedPolicy;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code kvstore bench metadata}: heap bytes the engine keeps per cached block (directory entry, metadata, key,
 * map node, policy node), measured by filling a store of metadata-only DRAM and NVMe levels with {@code --blocks}
 * blocks (half in each level) and comparing the heap after full GCs before and after. Run it with a fixed heap
 * (e.g. {@code KVSTORE_JAVA_OPTS="-Xms4g -Xmx4g"}) so the figure is not blurred by heap resizing. With {@code
 * --nvme-policy tier} the NVMe level keeps no policy state, as with the daemon's {@code nvmePolicy=tier}.
 *
 * <p>With {@code --nvme-dir} it measures a real NVMe tier's own in-memory index instead: {@code --blocks} blocks
 * of 512 bytes written to a tier in that directory (4 KiB of disk each), the heap compared the same way (the
 * durable index in RocksDB is off the heap and not counted).
 *
 * <p>With {@code --daemon-dir} it measures the daemon whole: the store a daemon on its defaults builds (private DRAM of
 * {@code --dram-bytes}, a real NVMe tier in that directory sized for every block, no HBM), filled in-process with
 * {@code --blocks} blocks of 512 bytes in chains of 64, most of them moved on to NVMe; the heap after the fill is
 * compared with the same daemon's, empty (engine, tiers' indexes and the daemon's own per-block state together;
 * RocksDB's memory is off the heap and not counted). Run again on the same directory, it measures the daemon reopened
 * on that data: the heap with the daemon open against the heap before it was.
 */
@Command(name = "metadata", mixinStandardHelpOptions = true,
        description = "Heap bytes per cached block in the engine (directory + policies), filling a metadata-only store.")
public final class MetadataCommand implements Callable<Integer> {

    @Option(names = "--blocks", description = "Blocks to fill (default ${DEFAULT-VALUE}).")
    int blocks = 1_000_000;

    @Option(names = "--policy", description = "Policy of the DRAM level, and of the NVMe level unless --nvme-policy "
            + "(default ${DEFAULT-VALUE}).")
    String policy = "default";

    @Option(names = "--nvme-policy", description = "Policy of the NVMe level (default: --policy); 'tier' leaves its "
            + "eviction to the tier, as the daemon's nvmePolicy=tier does, and tracks nothing.")
    String nvmePolicy;

    @Option(names = "--nvme-dir", description = "Measure a real NVMe tier's in-memory index, writing its blocks to "
            + "this (empty) directory: about 4 KiB of disk per block.")
    Path nvmeDir;

    private static final int BLOCK_BYTES = 4096;

    @Option(names = "--daemon-dir", description = "Measure a whole daemon's store (private DRAM, a real NVMe tier in "
            + "this directory, its default policies), filled in-process if the directory is empty (about 4 KiB of disk "
            + "per block), else reopened on what an earlier run left there.")
    Path daemonDir;

    @Option(names = "--dram-bytes", description = "DRAM capacity with --daemon-dir (default ${DEFAULT-VALUE}).")
    long dramBytes = 64L << 20;

    @Option(names = "--daemon-set", description = "A daemon setting name=value with --daemon-dir (repeatable), e.g. "
            + "nvmeIndexOnly=false.")
    java.util.List<String> daemonSettings = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (daemonDir != null) {
            return daemon();
        }
        if (nvmeDir != null) {
            return nvmeIndex();
        }
        long half = (long) blocks / 2 * BLOCK_BYTES + BLOCK_BYTES;
        long before = usedHeapAfterGc();
        TieredStore store = TieredStore.builder()
                .tier(TierSpec.of(new MetadataOnlyTier("dram", half), policy(half)))
                .tier(TierSpec.of(new MetadataOnlyTier("nvme", 2 * half), nvmeLevelPolicy(2 * half))
                        .withPromotedCopies(true))
                .build();
        ByteBuffer none = ByteBuffer.allocate(0);
        BlockKey parent = BlockKey.synthetic(-1, -1);
        for (int i = 0; i < blocks; i++) {
            BlockKey key = BlockKey.synthetic(i / 64, i);
            BlockMeta m = new BlockMeta(key, parent, i % 64, 1, 1, BLOCK_BYTES, 0);
            // the next block's parent as a client sends it: a copy of this key, not the same object
            parent = i % 64 == 63 ? BlockKey.synthetic(-1, -1) : BlockKey.synthetic(i / 64, i);
            if (store.put(m, none, true).status() != PutStatus.STORED) {
                System.err.println("block " + i + " not stored");
                return 1;
            }
        }
        long after = usedHeapAfterGc();
        double perBlock = (double) (after - before) / store.size();
        System.out.printf(Locale.ROOT, "%d blocks cached (%s policy, NVMe level %s), heap %+.1f MB: %.0f bytes per "
                        + "block%n", store.size(), PolicyRegistry.resolve(policy),
                PolicyRegistry.resolve(nvmePolicyName()), (after - before) / 1e6, perBlock);
        store.close();
        return 0;
    }

    private int nvmeIndex() throws Exception {
        if (!emptyOrAbsent(nvmeDir)) {
            System.err.println("kvstore bench metadata: " + nvmeDir + " is not empty; give an empty directory");
            return 2;
        }
        Files.createDirectories(nvmeDir);
        int payload = 512;
        long capacity = (long) blocks * (payload + NvmeTier.OVERHEAD_BYTES) * 2 + (1L << 30);
        NvmeTier tier = NvmeTier.open(NvmeTierConfig.builder(nvmeDir, capacity).build());
        try {
            ByteBuffer bytes = ByteBuffer.allocateDirect(payload);
            int crc = Checksums.crc32c(bytes.duplicate());
            BlockKey parent = BlockKey.synthetic(-1, -1);
            // the first block outside the measurement: the tier's buffers and first segment are not per block
            tier.put(new BlockMeta(BlockKey.synthetic(-2, -2), parent, 0, 1, 1, payload, crc), bytes.duplicate());
            long before = usedHeapAfterGc();
            for (int i = 0; i < blocks; i++) {
                BlockKey key = BlockKey.synthetic(i / 64, i);
                BlockMeta m = new BlockMeta(key, parent, i % 64, 1, 1, payload, crc);
                parent = i % 64 == 63 ? BlockKey.synthetic(-1, -1) : key;
                if (tier.put(m, bytes.duplicate()) != PutOutcome.STORED) {
                    System.err.println("block " + i + " not stored");
                    return 1;
                }
            }
            long after = usedHeapAfterGc();
            // the key is the tier's own; an engine entry, when the store keeps one, shares it
            double perBlock = (double) (after - before) / blocks;
            System.out.printf(Locale.ROOT, "%d blocks in the NVMe tier's index, heap %+.1f MB: %.0f bytes per block,"
                    + " of which %d are the BlockKey an engine entry would share%n",
                    blocks, (after - before) / 1e6, perBlock, SHARED_WITH_ENGINE);
            return 0;
        } finally {
            tier.close();
        }
    }

    private int daemon() throws Exception {
        int payload = 512;
        long nvmeBytes = (long) blocks * (payload + NvmeTier.OVERHEAD_BYTES) * 2 + (1L << 30);
        ConfigLoader config = ConfigLoader.builder().flag("port", 0).flag("adminPort", -1).flag("dataDir", daemonDir)
                .assignment("hbmCapacityBytes=0").assignment("dramPersist=false")
                .assignment("dramCapacityBytes=" + dramBytes).assignment("nvmeCapacityBytes=" + nvmeBytes);
        daemonSettings.forEach(config::assignment);
        if (!emptyOrAbsent(daemonDir)) { // filled by an earlier run: measure the daemon reopened on it
            long none = usedHeapAfterGc();
            try (KvServer server = new KvServer(config.load())) {
                report("reopened", server.store(), usedHeapAfterGc() - none);
            }
            return 0;
        }
        ByteBuffer bytes = ByteBuffer.allocateDirect(payload);
        int crc = Checksums.crc32c(bytes.duplicate());
        long empty;
        try (KvServer server = new KvServer(config.load())) {
            TieredStore store = server.store();
            // the first block outside the measurement: buffers, first segments and arenas are not per block
            store.put(new BlockMeta(BlockKey.synthetic(-2, -2), BlockKey.synthetic(-1, -1), 0, 1, 1, payload, crc),
                    bytes.duplicate(), true);
            empty = usedHeapAfterGc();
            BlockKey parent = BlockKey.synthetic(-1, -1);
            for (int i = 0; i < blocks; i++) {
                BlockKey key = BlockKey.synthetic(i / 64, i);
                BlockMeta m = new BlockMeta(key, parent, i % 64, 1, 1, payload, crc);
                // the next block's parent as a client sends it: a copy of this key, not the same object
                parent = i % 64 == 63 ? BlockKey.synthetic(-1, -1) : BlockKey.synthetic(i / 64, i);
                if (!store.put(m, bytes.duplicate(), true).status().isCached()) {
                    System.err.println("block " + i + " not stored");
                    return 1;
                }
            }
            report("filled", store, usedHeapAfterGc() - empty);
        }
        return 0;
    }

    private void report(String when, TieredStore store, long heap) {
        StringBuilder tiers = new StringBuilder();
        for (LevelStats s : store.stats()) {
            tiers.append(tiers.length() == 0 ? "" : ", ").append(s.tier().name()).append(' ').append(s.tier().blocks());
        }
        System.out.printf(Locale.ROOT, "daemon %s: %d blocks (%s), %d directory entries, heap %+.1f MB: %.0f bytes "
                + "per block%n", when, store.size(), tiers, store.entries(), heap / 1e6, (double) heap / store.size());
    }

    private static boolean emptyOrAbsent(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return true;
        }
        try (Stream<Path> any = Files.list(dir)) {
            return any.findAny().isEmpty();
        }
    }

    /** The block's key (48 bytes), which an engine entry for the block, if the store keeps one, references too. */
    private static final int SHARED_WITH_ENGINE = 48;

    /** The NVMe level's policy name: {@code --nvme-policy}, else {@code --policy}. */
    private String nvmePolicyName() {
        return nvmePolicy == null ? policy : nvmePolicy;
    }

    private EvictionPolicy<BlockKey> nvmeLevelPolicy(long capacity) {
        // 'tier' evicts nothing, which is fine here: the capacity holds every block
        return TierManagedPolicy.orRegistered(nvmePolicyName(), new PolicySpec(capacity, BLOCK_BYTES, 42));
    }

    private EvictionPolicy<BlockKey> policy(long capacity) {
        return PolicyRegistry.create(policy, new PolicySpec(capacity, BLOCK_BYTES, 42));
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return mx.getHeapMemoryUsage().getUsed();
    }
}
