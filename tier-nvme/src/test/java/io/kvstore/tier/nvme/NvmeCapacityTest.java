package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.testing.Blocks;
import io.kvstore.policy.linked.LruPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A TieredStore over an NvmeTier: writing 3x the capacity keeps the directory on disk within capacity + 10%. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NvmeCapacityTest {

    static final int BLOCK = 1 << 20;
    static final long CAPACITY = 64L << 20;

    @TempDir
    Path dir;

    @Test
    void writingThreeTimesTheCapacityKeepsTheDirectoryWithinCapacityPlusTenPercent() throws IOException {
        Path db = dir.resolve("db");
        NvmeTier tier = NvmeTier.open(NvmeTierConfig.builder(db, CAPACITY).build());
        long maxDisk = 0;
        int blocks = (int) (3 * CAPACITY / BLOCK);
        try (TieredStore store = TieredStore.builder().tier(TierSpec.of(tier, new LruPolicy<>())).build()) {
            for (int i = 0; i < blocks; i++) {
                BlockMeta m = Blocks.meta(i, BLOCK);
                assertThat(store.put(m, Blocks.payload(i, BLOCK)).status()).isEqualTo(PutStatus.STORED);
                assertThat(tier.usedBytes()).isLessThanOrEqualTo(CAPACITY);
                maxDisk = Math.max(maxDisk, directoryBytes(db));
            }
            tier.compactNow();
            long settled = directoryBytes(db);
            System.out.printf("nvme capacity: capacity=%d wrote=%d blocks=%d maxDisk=%d (%.3fx) settled=%d (%.3fx)"
                            + " stats=%s%n", CAPACITY, (long) blocks * BLOCK, tier.blockCount(), maxDisk,
                    (double) maxDisk / CAPACITY, settled, (double) settled / CAPACITY, tier.stats().details());
            assertThat(maxDisk).as("largest directory size seen while writing").isLessThanOrEqualTo(
                    (long) (CAPACITY * 1.10));
            assertThat(settled).isLessThanOrEqualTo((long) (CAPACITY * 1.10));
            // the newest blocks are the ones kept, and they read back intact
            GetResult g = store.get(Blocks.NS, Blocks.key(blocks - 1));
            try (BlockHandle h = g.handle()) {
                assertThat(h.payload()).isEqualTo(Blocks.payload(blocks - 1, BLOCK));
            }
        }
    }

    /** Sum of the sizes of the files under {@code dir}, like {@code du --apparent-size -b}. */
    static long directoryBytes(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // deleted while walking
                }
            }).sum();
        }
    }
}
