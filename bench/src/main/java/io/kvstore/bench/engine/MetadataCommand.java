package io.kvstore.bench.engine;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
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

    @Override
    public Integer call() throws Exception {
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
        Files.createDirectories(nvmeDir);
        try (Stream<Path> any = Files.list(nvmeDir)) {
            if (any.findAny().isPresent()) {
                System.err.println("kvstore bench metadata: " + nvmeDir + " is not empty; give an empty directory");
                return 2;
            }
        }
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
            // the store shares its BlockMeta (with the key) with the tier; without a store here they count: say so
            double perBlock = (double) (after - before) / blocks;
            System.out.printf(Locale.ROOT, "%d blocks in the NVMe tier's index, heap %+.1f MB: %.0f bytes per block,"
                    + " of which %d are the BlockMeta and BlockKey the engine would share%n",
                    blocks, (after - before) / 1e6, perBlock, SHARED_WITH_ENGINE);
            return 0;
        } finally {
            tier.close();
        }
    }

    /** A BlockMeta (48 bytes) and its key (48), which a daemon's engine holds anyway and the tier references. */
    private static final int SHARED_WITH_ENGINE = 96;

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
