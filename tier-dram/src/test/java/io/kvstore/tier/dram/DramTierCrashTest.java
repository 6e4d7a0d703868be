package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process killed (SIGKILL) in the middle of puts and removes: the next open takes no time to recover, finds every
 * block that was stable before the kill, and serves nothing torn. The child JVM stores N blocks, removes some, says
 * so, and then puts and removes other blocks as fast as it can until it is killed.
 */
@Timeout(90)
class DramTierCrashTest {

    static final int N = 200;
    static final int REMOVED = 20;
    static final int CHURN = 50;
    static final int SIZE = 20 * 1024;
    static final int PAGE = 16 * 1024;

    @TempDir
    Path dir;

    static DramTierConfig config(Path dir) {
        return DramTierConfig.of("dram", (long) (N + CHURN) * 2 * PAGE + 8 * PAGE, PAGE).withSegmentBytes(4 << 20)
                .persistedTo(dir);
    }

    /** The child: stores blocks 0..N-1, removes the even ones below REMOVED, prints "ready", then churns. */
    public static void main(String[] args) {
        DramTier t = DramTier.open(config(Path.of(args[0])));
        for (int i = 0; i < N; i++) {
            if (t.put(Blocks.meta(i, SIZE), Blocks.payload(i, SIZE)) != PutOutcome.STORED) {
                throw new IllegalStateException("put " + i);
            }
        }
        for (int i = 0; i < REMOVED; i += 2) {
            t.remove(Blocks.key(i));
        }
        System.out.println("ready");
        System.out.flush();
        for (long n = 0; ; n++) { // killed somewhere in here
            int k = N + (int) (n % CHURN);
            if (!t.remove(Blocks.key(k))) {
                t.put(Blocks.meta(k, SIZE), Blocks.payload(k, SIZE));
            }
        }
    }

    @Test
    void aProcessKilledBetweenPutsAndRemovesLeavesAnIndexThatOpensAtOnceWithEveryStableBlock() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), DramTierCrashTest.class.getName(),
                dir.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            StringBuilder seen = new StringBuilder();
            while ((line = out.readLine()) != null && !line.equals("ready")) {
                seen.append(line).append('\n');
            }
            assertThat(line).as("child output:\n%s", seen).isEqualTo("ready");
            Thread.sleep(300); // some churn
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        long t0 = System.nanoTime();
        try (DramTier t = DramTier.open(config(dir))) {
            assertThat(t.indexRecovered()).isTrue();
            int churned = 0;
            for (int i = 0; i < N + CHURN; i++) {
                ReadResult r = t.read(Blocks.key(i));
                if (i < REMOVED && i % 2 == 0) {
                    assertThat(r.outcome()).as("removed block %d", i).isEqualTo(ReadResult.Outcome.MISS);
                } else if (i < N) {
                    assertThat(r.outcome()).as("block %d", i).isEqualTo(ReadResult.Outcome.HIT);
                } else {
                    assertThat(r.outcome()).as("churned block %d", i).isIn(ReadResult.Outcome.HIT,
                            ReadResult.Outcome.MISS);
                    churned += r.outcome() == ReadResult.Outcome.HIT ? 1 : 0;
                }
                if (r.outcome() == ReadResult.Outcome.HIT) {
                    try (BlockHandle h = r.handle()) {
                        assertThat(h.payload()).as("block %d", i).isEqualTo(Blocks.payload(i, SIZE));
                    }
                }
            }
            assertThat(t.stats().corrupt()).as("nothing torn").isZero();
            assertThat(t.blockCount()).isEqualTo(N - REMOVED / 2 + churned);
            // the index takes writes again, and every page not held by a block is free
            assertThat(t.remove(Blocks.key(7))).isTrue();
            assertThat(t.put(Blocks.meta(7, SIZE), Blocks.payload(7, SIZE))).isEqualTo(PutOutcome.STORED);
            assertThat(t.stats().details().get("free_pages"))
                    .isEqualTo(t.capacityBytes() / PAGE - t.blockCount() * t.footprint(SIZE) / PAGE);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("DRAM CRASH: reopened after kill -9 during puts and removes, " + (N + CHURN)
                + " keys read in " + ms + " ms");
        assertThat(ms).as("open + reads after the crash, ms").isLessThan(10_000);
    }
}
