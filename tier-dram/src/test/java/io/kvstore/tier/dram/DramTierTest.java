package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.TierClosedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class DramTierTest {

    static final int PAGE = 16 * 1024;

    @Test
    void footprintIsWholePagesAndCapacityIsRoundedUpToPages() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 10 * PAGE + 1, PAGE))) {
            assertThat(t.capacityBytes()).isEqualTo(11 * PAGE);
            assertThat(t.footprint(0)).isEqualTo(PAGE);
            assertThat(t.footprint(PAGE)).isEqualTo(PAGE);
            assertThat(t.footprint(PAGE + 1)).isEqualTo(2 * PAGE);
            t.put(Blocks.meta(1, PAGE + 1), Blocks.payload(1, PAGE + 1));
            assertThat(t.usedBytes()).isEqualTo(2 * PAGE);
            assertThat(t.stats().details()).containsEntry("free_pages", 9L);
        }
    }

    @Test
    void aBlockLargerThanASegmentIsTooLarge() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 8 * PAGE, PAGE).withSegmentBytes(2 * PAGE))) {
            assertThat(t.put(Blocks.meta(1, 3 * PAGE), Blocks.payload(1, 3 * PAGE))).isEqualTo(PutOutcome.TOO_LARGE);
            assertThat(t.put(Blocks.meta(2, 2 * PAGE), Blocks.payload(2, 2 * PAGE))).isEqualTo(PutOutcome.STORED);
        }
    }

    @Test
    void pagesOfARemovedBlockAreNotReusedWhileAReaderHoldsThem() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 2 * PAGE, PAGE))) {
            t.put(Blocks.meta(1, 2 * PAGE), Blocks.payload(1, 2 * PAGE));
            BlockHandle h = t.read(Blocks.key(1)).handle();
            assertThat(t.remove(Blocks.key(1))).isTrue();
            assertThat(t.usedBytes()).isZero();
            assertThat(t.stats().details()).containsEntry("retired_pages", 2L);
            // accounting says there is room, but the pages are still being read: refused, not overwritten
            assertThat(t.put(Blocks.meta(2, 2 * PAGE), Blocks.payload(2, 2 * PAGE))).isEqualTo(PutOutcome.NO_CAPACITY);
            assertThat(t.stats().details()).containsEntry("no_run_refusals", 1L);
            assertThat(h.payload()).isEqualTo(Blocks.payload(1, 2 * PAGE));
            h.close();
            assertThat(t.stats().details()).containsEntry("retired_pages", 0L).containsEntry("free_pages", 2L);
            assertThat(t.put(Blocks.meta(2, 2 * PAGE), Blocks.payload(2, 2 * PAGE))).isEqualTo(PutOutcome.STORED);
        }
    }

    @Test
    void getIsAViewOfTheArenaNotACopy() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 8 * PAGE, PAGE))) {
            t.put(Blocks.meta(1, PAGE), Blocks.payload(1, PAGE));
            try (BlockHandle a = t.read(Blocks.key(1)).handle(); BlockHandle b = t.read(Blocks.key(1)).handle()) {
                ByteBuffer pa = a.payload();
                assertThat(pa.isDirect()).isTrue();
                assertThat(pa.isReadOnly()).isTrue();
                // two reads see the same memory: a write through the arena shows in both
                t.arenaForTest().view(t.firstPageOf(Blocks.key(1)), PAGE).put(0, (byte) 42);
                assertThat(pa.get(0)).isEqualTo((byte) 42);
                assertThat(b.payload().get(0)).isEqualTo((byte) 42);
            }
        }
    }

    @Test
    void handlesOutliveCloseAndTheMemoryGoesWithTheLastOne() {
        DramTier t = DramTier.open(DramTierConfig.of("dram", 8 * PAGE, PAGE));
        t.put(Blocks.meta(1, PAGE), Blocks.payload(1, PAGE));
        BlockHandle h = t.read(Blocks.key(1)).handle();
        t.close();
        t.close();
        assertThatThrownBy(() -> t.read(Blocks.key(1))).isInstanceOf(TierClosedException.class);
        assertThatThrownBy(() -> t.remove(Blocks.key(1))).isInstanceOf(TierClosedException.class);
        assertThatThrownBy(() -> t.forEach(m -> { })).isInstanceOf(TierClosedException.class);
        assertThat(t.openHandlePins()).isEqualTo(1);
        assertThat(h.payload()).isEqualTo(Blocks.payload(1, PAGE));
        h.close();
        assertThat(t.openHandlePins()).isZero();
    }

    @Test
    void badConfigurationIsRefused() {
        assertThatThrownBy(() -> DramTierConfig.of("dram", 1 << 20, 3000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DramTierConfig.of("dram", 100, PAGE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DramTierConfig.of("dram", 1 << 20, PAGE).withSegmentBytes(PAGE + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A block of a private-memory arena starts on a 4 KiB boundary, as one of a mapped arena does: the NVMe tier
     * writes such a block to disk from where it is, and copies any other first (the JDK aligns a direct buffer to 8
     * bytes only, and every demotion out of a private arena was a copy until its segments were aligned).
     */
    @Test
    void aPrivateArenasBlocksStartOnA4KiBBoundary() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 64L << 20).withSegmentBytes(16 << 20))) {
            for (int i = 0; i < 40; i++) { // blocks of several sizes, over several segments
                int size = (i % 5 + 1) * 300_000;
                assertThat(t.put(Blocks.meta(i, size), Blocks.payload(i, size))).isEqualTo(PutOutcome.STORED);
            }
            for (int i = 0; i < 40; i++) {
                try (BlockHandle h = t.read(Blocks.key(i)).handle()) {
                    ByteBuffer p = h.payload();
                    assertThat(p.isDirect()).isTrue();
                    assertThat(p.alignmentOffset(p.position(), 4096)).as("block %d", i).isZero();
                    assertThat(p).isEqualTo(Blocks.payload(i, (i % 5 + 1) * 300_000));
                }
            }
        }
    }
}
