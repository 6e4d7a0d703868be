package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.LevelStats;
import io.kvstore.core.store.PinStatus;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.testing.Blocks;
import io.kvstore.policy.tier.TierManagedPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A store whose NVMe level leaves eviction to the tier ({@code nvmePolicy=tier}: {@link TierManagedPolicy} over a
 * tier configured to {@link NvmeTierConfig#evictsItself evict itself}): the store never chooses a victim there, no
 * put is refused for lack of room, the tier's segment reclaim keeps the disk within its capacity plus a few segments,
 * every block it drops is forgotten by the store (a LOOKUP never finds a block a GET then misses), pinned blocks
 * stay, and blocks read since they were written are reinserted rather than dropped.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NvmeEvictsItselfTest {

    static final int BLOCK = 256 << 10;
    static final long CAPACITY = 32L << 20;

    @TempDir
    Path dir;

    private TieredStore store(NvmeTier tier) {
        return TieredStore.builder().tier(TierSpec.of(tier, new TierManagedPolicy<>())).build();
    }

    private NvmeTier tier() {
        return NvmeTier.open(NvmeTierConfig.builder(dir.resolve("db"), CAPACITY).segmentBytes(1 << 20)
                .evictsItself(true).build());
    }

    @Test
    void writingThreeTimesTheCapacityIsNeverRefusedAndTheReclaimAloneMakesRoom() {
        NvmeTier tier = tier();
        assertThat(tier.evictsItself()).isTrue();
        int blocks = (int) (3 * CAPACITY / BLOCK);
        long maxDisk = 0;
        long maxUsed = 0;
        try (TieredStore store = store(tier)) {
            for (int i = 0; i < blocks; i++) {
                assertThat(store.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK)).status())
                        .as("put %d", i).isEqualTo(PutStatus.STORED);
                maxUsed = Math.max(maxUsed, tier.usedBytes());
                maxDisk = Math.max(maxDisk, NvmeCapacityTest.directoryBytes(dir.resolve("db")));
            }
            Map<String, Long> d = tier.stats().details();
            LevelStats nvme = store.stats().get(0);
            System.out.printf("nvme evicts itself: maxUsed=%d (%.3fx) maxDisk=%d (%.3fx) blocks=%d details=%s%n",
                    maxUsed, (double) maxUsed / CAPACITY, maxDisk, (double) maxDisk / CAPACITY, tier.blockCount(), d);
            long segment = tier.cfg.effectiveSegmentBytes();
            assertThat(maxUsed).as("live bytes: the capacity plus what the reclaim has still to take")
                    .isLessThanOrEqualTo(CAPACITY + (Reclaimer.BACKPRESSURE_SEGMENTS + 1) * segment);
            assertThat(maxDisk).as("largest directory size seen while writing").isLessThanOrEqualTo(
                    (long) (CAPACITY * 1.10) + (Reclaimer.BACKPRESSURE_SEGMENTS + 1) * segment);
            assertThat(d.get("dropped_blocks")).as("the tier made the room").isPositive();
            // every block the store counts as evicted there is one the tier dropped: the store chose none
            assertThat(nvme.tierDropped()).isEqualTo(d.get("dropped_blocks"));
            assertThat(nvme.evicted()).isEqualTo(nvme.tierDropped());
            assertThat(store.size()).isEqualTo((int) tier.blockCount());
            // what the store still lists is readable, intact; the oldest blocks are gone from both
            List<BlockKey> all = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                all.add(Blocks.key(i));
            }
            int found = 0;
            for (int i = 0; i < blocks; i++) {
                if (store.contains(Blocks.NS, Blocks.key(i))) {
                    found++;
                    GetResult g = store.get(Blocks.NS, Blocks.key(i));
                    assertThat(g.isHit()).as("block %d: cached, so readable", i).isTrue();
                    try (BlockHandle h = g.handle()) {
                        assertThat(h.payload()).isEqualTo(Blocks.payload(i, BLOCK));
                    }
                }
            }
            assertThat(found).isEqualTo(store.size());
            assertThat(store.contains(Blocks.NS, Blocks.key(0))).isFalse();
            assertThat(store.contains(Blocks.NS, Blocks.key(blocks - 1))).isTrue();
            assertThat(store.lookup(Blocks.NS, all, 0).hitBlocks()).isZero();
        }
    }

    @Test
    void pinnedAndReadBlocksOutliveTheReclaim() {
        NvmeTier tier = tier();
        int blocks = (int) (3 * CAPACITY / BLOCK);
        try (TieredStore store = store(tier)) {
            for (int i = 0; i < 4; i++) {
                assertThat(store.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK)).status())
                        .isEqualTo(PutStatus.STORED);
            }
            assertThat(store.pin(Blocks.NS, Blocks.key(0))).isEqualTo(PinStatus.PINNED);
            for (int i = 4; i < blocks; i++) {
                assertThat(store.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK)).status())
                        .isEqualTo(PutStatus.STORED);
                if (i % 8 == 0) { // block 1 is read all along: read since written whenever its segment goes
                    try (BlockHandle h = store.get(Blocks.NS, Blocks.key(1)).handle()) {
                        assertThat(h.payload()).isEqualTo(Blocks.payload(1, BLOCK));
                    }
                }
            }
            Map<String, Long> d = tier.stats().details();
            assertThat(d.get("relocated_blocks")).as("the pinned block rewritten to stay").isPositive();
            assertThat(d.get("reinserted_blocks")).as("the read block reinserted").isPositive();
            for (int i : new int[] {0, 1}) {
                try (BlockHandle h = store.get(Blocks.NS, Blocks.key(i)).handle()) {
                    assertThat(h).as("block %d", i).isNotNull();
                    assertThat(h.payload()).isEqualTo(Blocks.payload(i, BLOCK));
                }
            }
            assertThat(store.contains(Blocks.NS, Blocks.key(2))).as("neither pinned nor read: dropped").isFalse();
        }
    }
}
