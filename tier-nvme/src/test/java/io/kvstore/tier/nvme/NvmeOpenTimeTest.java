package io.kvstore.tier.nvme;

import io.kvstore.core.testing.Blocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Opening a full NVMe tier after kill -9 (issue 15: <= 5 s for 4 GiB). A child JVM ({@link CrashWriter}, default
 * tier settings) fills the tier past its capacity (so reclaim runs) and is killed with SIGKILL; the open is timed.
 * Writes ~1.2x the capacity, so it is not part of CI: run with
 * {@code ./mvnw -B -ntp -pl tier-nvme -am verify -Dtest=NvmeOpenTimeTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dkvstore.nvme.openTime=true} ({@code -Dkvstore.nvme.openTime.capacity=4GiB-in-bytes}, {@code .block=bytes}).
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class NvmeOpenTimeTest {

    @TempDir
    Path dir;

    @Test
    void openingAFullTierAfterKillNineIsQuick() throws Exception {
        assumeTrue(Boolean.getBoolean("kvstore.nvme.openTime"), "run by hand: -Dkvstore.nvme.openTime=true");
        long capacity = Long.getLong("kvstore.nvme.openTime.capacity", 4L << 30);
        int block = Integer.getInteger("kvstore.nvme.openTime.block", 512 << 10);
        long target = (long) (1.2 * capacity / NvmeTier.footprintOf(block));
        Path db = dir.resolve("db");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), db.toString(), "0", Long.toString(capacity), Integer.toString(block),
                "defaults")).redirectError(dir.resolve("child.err").toFile()).start();
        long stored = 0;
        long t0 = System.nanoTime();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null && stored < target) {
                if (line.startsWith("S ")) {
                    stored++;
                }
            }
        }
        double fillSeconds = (System.nanoTime() - t0) / 1e9;
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long o0 = System.nanoTime();
        try (NvmeTier t = NvmeTier.open(NvmeTierConfig.builder(db, capacity).build())) {
            double openSeconds = (System.nanoTime() - o0) / 1e9;
            Map<String, Long> d = t.stats().details();
            System.out.printf("nvme open after kill -9: capacity %d, block %d, %d blocks put in %.1f s, open %.3f s,"
                            + " %d blocks, used %.3f of capacity, stats %s%n", capacity, block, stored, fillSeconds,
                    openSeconds, t.blockCount(), t.usedBytes() / (double) capacity, d);
            assertThat(t.usedBytes()).isGreaterThan(capacity * 8 / 10);
            assertThat(openSeconds).isLessThanOrEqualTo(5.0);
            long newest = stored - 1;
            assertThat(t.contains(Blocks.key(newest))).as("the last acknowledged block").isTrue();
        }
    }
}
