package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.LevelStats;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.testing.Blocks;
import io.kvstore.policy.linked.LruPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A TieredStore over the DRAM tier: its watermarks and policy decide what the tier gives up. */
@Timeout(60)
class DramTierInStoreTest {

    static final int PAGE = 16 * 1024;
    static final int SIZE = 40 * 1024; // 3 pages, footprint 48 KiB

    @Test
    void watermarksEvictThroughThePolicyAndTheTierStaysUnderItsHighWatermark() {
        DramTier dram = DramTier.open(DramTierConfig.of("dram", 100L * 3 * PAGE, PAGE));
        try (TieredStore store = TieredStore.builder().clock(new ManualClock())
                .tier(TierSpec.of(dram, new LruPolicy<>()).withWatermarks(0.9, 0.7)).build()) {
            long high = (long) (0.9 * dram.capacityBytes());
            for (int i = 0; i < 300; i++) {
                assertThat(store.put(Blocks.meta(i, SIZE), Blocks.payload(i, SIZE)).status())
                        .isEqualTo(PutStatus.STORED);
                if (i % 10 == 0) {
                    store.get(Blocks.NS, Blocks.key(0)).handle().close(); // keep block 0 hot
                }
                assertThat(dram.usedBytes()).isLessThanOrEqualTo(high);
            }
            LevelStats ls = store.stats().get(0);
            assertThat(ls.evicted()).isGreaterThan(0);
            assertThat(ls.evictedBytes()).isEqualTo(ls.evicted() * dram.footprint(SIZE));
            assertThat(ls.tier().details()).containsEntry("removed_blocks", ls.evicted());
            assertThat(dram.blockCount()).isEqualTo(300 - ls.evicted());
            assertThat(dram.usedBytes()).isEqualTo(dram.blockCount() * dram.footprint(SIZE));
            // LRU: the hot block and the newest survive, the oldest cold ones went
            assertThat(dram.contains(Blocks.key(0))).isTrue();
            assertThat(dram.contains(Blocks.key(299))).isTrue();
            assertThat(dram.contains(Blocks.key(1))).isFalse();
            GetResult g = store.get(Blocks.NS, Blocks.key(299));
            try (BlockHandle h = g.handle()) {
                assertThat(h.payload()).isEqualTo(Blocks.payload(299, SIZE));
            }
            assertThat(dram.stats().details()).containsEntry("no_run_refusals", 0L);
        }
    }

    @Test
    void aStoreReopenedOnAPersistentTierFindsItsBlocks(@TempDir Path dir) {
        DramTierConfig cfg = DramTierConfig.of("dram", 64L * 3 * PAGE, PAGE).persistedTo(dir);
        try (TieredStore store = TieredStore.builder().clock(new ManualClock())
                .tier(TierSpec.of(DramTier.open(cfg), new LruPolicy<>())).build()) {
            for (int i = 0; i < 20; i++) {
                store.put(Blocks.meta(i, SIZE), Blocks.payload(i, SIZE));
            }
        }
        try (TieredStore store = TieredStore.builder().clock(new ManualClock())
                .tier(TierSpec.of(DramTier.open(cfg), new LruPolicy<>())).build()) {
            assertThat(store.size()).isEqualTo(20);
            try (BlockHandle h = store.get(Blocks.NS, Blocks.key(7)).handle()) {
                assertThat(h.payload()).isEqualTo(Blocks.payload(7, SIZE));
            }
        }
    }
}
