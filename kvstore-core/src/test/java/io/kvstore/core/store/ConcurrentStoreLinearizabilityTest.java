package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.policy.linked.FifoPolicy;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Lincheck: the store's operations, run concurrently by several threads, must be linearizable against the same
 * store run sequentially. The top level holds two of the three keys, so puts demote and gets promote (with the
 * bottom level keeping promoted copies) while the operations run; the bottom level holds everything, so a block
 * leaves only by deletion and every answer is a function of the operations' order. A move must never make a
 * cached block look absent, and pins, deletes and puts of one key must compose as if one at a time.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:2")
public class ConcurrentStoreLinearizabilityTest {

    private static final int BLOCK = 100;

    private final TieredStore store = TieredStore.builder()
            .tier(TierSpec.of(new HeapTier("dram", 2 * BLOCK), new FifoPolicy<>()))
            .tier(TierSpec.of(new HeapTier("nvme", 10 * BLOCK), new FifoPolicy<>()).withPromotedCopies(true))
            .build();

    @Operation
    public PutStatus put(@Param(name = "key") int k) {
        return store.put(Blocks.meta(k, BLOCK), Blocks.payload(k, BLOCK)).status();
    }

    @Operation
    public boolean get(@Param(name = "key") int k) {
        GetResult g = store.get(Blocks.NS, Blocks.key(k));
        if (!g.isHit()) {
            return false;
        }
        try (BlockHandle h = g.handle()) {
            return h.payload().equals(Blocks.payload(k, BLOCK));
        }
    }

    @Operation
    public int lookup(@Param(name = "key") int k) {
        return store.lookup(Blocks.NS, List.of(Blocks.key(k)), 0).hitBlocks();
    }

    @Operation
    public boolean contains(@Param(name = "key") int k) {
        return store.contains(Blocks.NS, Blocks.key(k));
    }

    @Operation
    public PinStatus delete(@Param(name = "key") int k) {
        return store.delete(Blocks.NS, Blocks.key(k));
    }

    @Operation
    public PinStatus pin(@Param(name = "key") int k) {
        return store.pin(Blocks.NS, Blocks.key(k));
    }

    @Operation
    public PinStatus unpin(@Param(name = "key") int k) {
        return store.unpin(Blocks.NS, Blocks.key(k));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void operationsAreLinearizable() {
        new StressOptions().iterations(20).invocationsPerIteration(150).threads(2).actorsPerThread(3)
                .actorsBefore(2).check(ConcurrentStoreLinearizabilityTest.class);
    }
}
