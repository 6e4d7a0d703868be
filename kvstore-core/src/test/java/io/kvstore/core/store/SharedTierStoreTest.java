package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.core.tier.MetadataOnlyTier;
import io.kvstore.core.tier.SharedTierView;
import io.kvstore.policy.linked.LruPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Two stores ("daemons") over one shared last tier, as with the Redis Cluster tier. */
class SharedTierStoreTest {

    static final int B = 1000;

    final HeapTier heap = new HeapTier("shared", 1000L * B);
    final SharedTierView shared = new SharedTierView(heap);
    TieredStore a;
    TieredStore b;

    @AfterEach
    void close() {
        for (TieredStore s : new TieredStore[] {a, b}) {
            if (s != null) {
                s.close();
            }
        }
        heap.close();
    }

    TieredStore daemon() {
        return TieredStore.builder()
                .tier(TierSpec.of(new HeapTier("dram", 2L * B), new LruPolicy<>()))
                .tier(TierSpec.of(shared, new LruPolicy<>()).withRules(false, false))
                .build();
    }

    @Test
    void blockDemotedByOneStoreIsFoundPromotedAndCopiedByAnother() {
        a = daemon();
        b = daemon();
        for (int i = 0; i < 4; i++) {
            assertThat(a.put(Blocks.meta(i, B), Blocks.payload(i, B)).status()).isEqualTo(PutStatus.STORED);
        }
        assertThat(shared.contains(Blocks.key(0))).as("block 0 was written back to the shared tier").isTrue();
        List<BlockKey> chain = List.of(Blocks.key(0), Blocks.key(1), Blocks.key(2), Blocks.key(3));
        LookupResult l = b.lookup(Blocks.NS, chain, 1_000_000);
        assertThat(l.hitBlocks()).as("b sees the blocks a demoted").isEqualTo(2);
        assertThat(l.tiers()).containsOnly("shared");
        assertThat(b.contains(Blocks.NS, Blocks.key(1))).isTrue();
        GetResult g = b.get(Blocks.NS, Blocks.key(0));
        try (BlockHandle h = g.handle()) {
            assertThat(g.tier()).isEqualTo("shared");
            assertThat(h.payload()).isEqualTo(Blocks.payload(0, B));
        }
        assertThat(b.info(Blocks.key(0)).tier()).as("promoted into b's local tier").isEqualTo("dram");
        assertThat(shared.contains(Blocks.key(0))).as("a promotion out of a shared tier copies").isTrue();
        assertThat(b.get(Blocks.NS + 1, Blocks.key(1)).isHit()).as("namespaces stay isolated").isFalse();
    }

    @Test
    void anEntryWhoseBlockVanishedFromTheSharedTierIsForgotten() {
        a = daemon();
        for (int i = 0; i < 3; i++) {
            a.put(Blocks.meta(i, B), Blocks.payload(i, B));
        }
        assertThat(a.info(Blocks.key(0)).tier()).isEqualTo("shared");
        shared.remove(Blocks.key(0)); // evicted by the shared tier, or deleted by another daemon
        assertThat(a.get(Blocks.NS, Blocks.key(0)).isHit()).isFalse();
        assertThat(a.info(Blocks.key(0))).isNull();
        assertThat(a.lookup(Blocks.NS, List.of(Blocks.key(0)), 0).hitBlocks()).isZero();
    }

    @Test
    void demotingABlockTheSharedTierAlreadyHoldsCountsAsStored() {
        a = daemon();
        b = daemon();
        shared.put(Blocks.meta(7, B), Blocks.payload(7, B));
        b.put(Blocks.meta(7, B), Blocks.payload(7, B));
        b.put(Blocks.meta(8, B), Blocks.payload(8, B));
        b.put(Blocks.meta(9, B), Blocks.payload(9, B));
        assertThat(b.info(Blocks.key(7)).tier()).isEqualTo("shared");
        assertThat(shared.blockCount()).isEqualTo(1);
    }

    @Test
    void aStoreDoesNotImportASharedTierAtOpen() {
        shared.put(Blocks.meta(5, B), Blocks.payload(5, B));
        a = daemon();
        assertThat(a.size()).isZero();
        assertThat(a.contains(Blocks.NS, Blocks.key(5))).as("but finds it on demand").isTrue();
    }

    @Test
    void simulatedNodesShareAMetadataOnlyTier() {
        MetadataOnlyTier cluster = new MetadataOnlyTier("remote", 100L * B);
        TieredStore[] nodes = new TieredStore[3];
        for (int n = 0; n < nodes.length; n++) {
            nodes[n] = TieredStore.builder()
                    .tier(TierSpec.of(new MetadataOnlyTier("dram", 2L * B), new LruPolicy<>()))
                    .tier(TierSpec.of(new SharedTierView(cluster), new LruPolicy<>()).withRules(false, false))
                    .build();
        }
        try {
            for (int i = 0; i < 5; i++) {
                nodes[0].put(Blocks.meta(i, B), ByteBuffer.allocate(0), true);
            }
            assertThat(cluster.blockCount()).isEqualTo(3);
            assertThat(nodes[2].lookup(Blocks.NS, List.of(Blocks.key(0), Blocks.key(1), Blocks.key(2)), 0)
                    .hitBlocks()).isEqualTo(3);
            GetResult g = nodes[1].get(Blocks.NS, Blocks.key(2));
            assertThat(g.tier()).isEqualTo("remote");
            g.handle().close();
            assertThat(nodes[1].info(Blocks.key(2)).tier()).isEqualTo("dram");
        } finally {
            for (TieredStore n : nodes) {
                n.close();
            }
            cluster.close();
        }
    }
}
