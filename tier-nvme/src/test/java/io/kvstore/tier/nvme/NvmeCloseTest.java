package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.core.tier.TierDropListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hang of issue 15: {@code close()} took the lifecycle write lock and then waited (up to 60 s) for the
 * maintenance thread, which was relocating blocks and needed the read lock for each one. On a loaded machine the
 * round started late enough to be caught mid-way, and the test thread sat in close until JUnit's timeout interrupted
 * it (the next read then failed with the interrupt: the "h is null" NPE). The first version of this test (commit
 * "close no longer hangs") caught it on the old garbage-driven relocation: close took 59.5 s before the fix, 5 ms
 * after. Reclaim now runs in put threads and relocates only blocks that must stay; here close is called while such
 * a reclaim is certainly under way, with index flushes in the background.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NvmeCloseTest {

    static final int SMALL = 4096;

    @TempDir
    Path dir;

    @Test
    void closeDuringAReclaimReturnsPromptlyAndLosesNothingIndexed() throws Exception {
        Path db = dir.resolve("db");
        NvmeTier tier = NvmeTier.open(NvmeTierConfig.builder(db, 64L << 20).writeBufferBytes(1L << 20).build());
        AtomicLong asked = new AtomicLong();
        tier.dropListener(new TierDropListener() {
            @Override
            public boolean mayDrop(BlockKey key) {
                asked.incrementAndGet();
                return key.secondLong() % 4 != 0; // every fourth block is pinned: relocated
            }

            @Override
            public void dropped(BlockKey key) {
            }
        });
        Thread writer = new Thread(() -> {
            try {
                for (long i = 0; ; i++) {
                    PutOutcome o = tier.put(Blocks.meta(i, SMALL), Blocks.payload(i, SMALL));
                    if (o == PutOutcome.NO_CAPACITY) {
                        tier.remove(Blocks.key(i - 5000)); // a store evicting: the segment reclaim still runs
                    }
                }
            } catch (TierClosedException expected) {
                // closed under us
            }
        }, "nvme-close-writer");
        writer.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (tier.stats().details().get("relocated_blocks") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        long relocatedBefore = tier.stats().details().get("relocated_blocks");
        long t0 = System.nanoTime();
        tier.close();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        writer.join(10_000);
        System.out.printf("nvme close during a reclaim: %d ms, relocated before close %d, asked %d%n", ms,
                relocatedBefore, asked.get());
        assertThat(relocatedBefore).as("a reclaim with relocations was under way").isPositive();
        assertThat(ms).as("close while a reclaim runs").isLessThan(15_000);
        assertThat(writer.isAlive()).isFalse();
        try (NvmeTier again = NvmeTier.open(NvmeTierConfig.builder(db, 64L << 20).build())) {
            assertThat(again.blockCount()).isPositive();
            again.forEach(m -> {
                try (BlockHandle h = again.read(m.key()).handle()) {
                    assertThat(h).as("block %d", m.key().secondLong()).isNotNull();
                    assertThat(h.payload()).isEqualTo(Blocks.payload(m.key().secondLong(), SMALL));
                }
            });
            assertThat(again.stats().corrupt()).isZero();
        }
    }
}
