package io.kvstore.bench.engine;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.tier.MetadataOnlyTier;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code kvstore bench metadata}: heap bytes the engine keeps per cached block (directory entry, metadata, key,
 * map node, policy node), measured by filling a store of metadata-only DRAM and NVMe levels with {@code --blocks}
 * blocks (half in each level) and comparing the heap after full GCs before and after. Run it with a fixed heap
 * (e.g. {@code KVSTORE_JAVA_OPTS="-Xms4g -Xmx4g"}) so the figure is not blurred by heap resizing.
 */
@Command(name = "metadata", mixinStandardHelpOptions = true,
        description = "Heap bytes per cached block in the engine (directory + policies), filling a metadata-only store.")
public final class MetadataCommand implements Callable<Integer> {

    @Option(names = "--blocks", description = "Blocks to fill (default ${DEFAULT-VALUE}).")
    int blocks = 1_000_000;

    @Option(names = "--policy", description = "Policy of both levels (default ${DEFAULT-VALUE}).")
    String policy = "default";

    private static final int BLOCK_BYTES = 4096;

    @Override
    public Integer call() {
        long half = (long) blocks / 2 * BLOCK_BYTES + BLOCK_BYTES;
        long before = usedHeapAfterGc();
        TieredStore store = TieredStore.builder()
                .tier(TierSpec.of(new MetadataOnlyTier("dram", half), policy(half)))
                .tier(TierSpec.of(new MetadataOnlyTier("nvme", 2 * half), policy(2 * half)).withPromotedCopies(true))
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
        System.out.printf(Locale.ROOT, "%d blocks cached (%s policy), heap %+.1f MB: %.0f bytes per block%n",
                store.size(), PolicyRegistry.resolve(policy), (after - before) / 1e6, perBlock);
        store.close();
        return 0;
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
