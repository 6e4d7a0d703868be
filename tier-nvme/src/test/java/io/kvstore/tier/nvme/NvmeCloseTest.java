package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hang of issue 15: {@code close()} took the lifecycle write lock and then waited (up to 60 s) for the
 * maintenance thread, which was relocating blocks and needed the read lock for each one. On a loaded machine the
 * maintenance round started late enough to be caught mid-way, and the test thread sat in close until JUnit's timeout
 * interrupted it (the next read then failed with the interrupt: the "h is null" NPE). Here close is called while a
 * long background round is certainly under way.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NvmeCloseTest {

    static final int SMALL = 4096;

    @TempDir
    Path dir;

    @Test
    void closeDuringABackgroundRoundReturnsPromptlyAndLosesNothing() {
        Path db = dir.resolve("db");
        NvmeTier tier = NvmeTier.open(NvmeTierConfig.builder(db, 1L << 30).segmentBytes(16L << 20)
                .garbageRatio(0.001).build());
        int n = 3000;
        for (int i = 0; i < n; i++) {
            assertThat(tier.put(Blocks.meta(i, SMALL), Blocks.payload(i, SMALL))).isEqualTo(PutOutcome.STORED);
        }
        for (int i = 0; i < n; i += 2) {
            tier.remove(Blocks.key(i)); // garbage above the ratio: a background round starts
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (tier.stats().details().get("relocated_blocks") == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // until the round is moving blocks
        }
        long relocatedBefore = tier.stats().details().get("relocated_blocks");
        long t0 = System.nanoTime();
        tier.close();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf("nvme close during a background round: %d ms, relocated before close %d%n", ms, relocatedBefore);
        assertThat(ms).as("close while a background round runs").isLessThan(15_000);
        try (NvmeTier again = NvmeTier.open(NvmeTierConfig.builder(db, 1L << 30).build())) {
            for (int i = 1; i < n; i += 2) {
                try (BlockHandle h = again.read(Blocks.key(i)).handle()) {
                    assertThat(h).as("block %d", i).isNotNull();
                    assertThat(h.payload()).isEqualTo(Blocks.payload(i, SMALL));
                }
            }
        }
    }
}
