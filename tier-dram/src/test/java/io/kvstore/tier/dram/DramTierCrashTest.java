package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import net.openhft.chronicle.map.ExternalMapQueryContext;
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
 * A process killed (SIGKILL) while it holds a lock of the index: the next open must not wait for that lock (Chronicle
 * Map would spin for 60 s and then throw), and finds every block. The child JVM stores blocks, takes the update
 * lock of one key's index segment, says so, and waits to be killed.
 */
@Timeout(90)
class DramTierCrashTest {

    static final int N = 200;
    static final int SIZE = 20 * 1024;
    static final int PAGE = 16 * 1024;

    @TempDir
    Path dir;

    static DramTierConfig config(Path dir) {
        return DramTierConfig.of("dram", (long) N * 2 * PAGE + 8 * PAGE, PAGE).withSegmentBytes(4 << 20)
                .persistedTo(dir);
    }

    /** The child: stores N blocks, locks an index segment, prints "locked", sleeps. */
    public static void main(String[] args) throws Exception {
        DramTier t = DramTier.open(config(Path.of(args[0])));
        for (int i = 0; i < N; i++) {
            if (t.put(Blocks.meta(i, SIZE), Blocks.payload(i, SIZE)) != PutOutcome.STORED) {
                throw new IllegalStateException("put " + i);
            }
        }
        ExternalMapQueryContext<byte[], byte[], ?> ctx = t.indexForTest().queryContext(Blocks.key(7).toBytes());
        ctx.updateLock().lock(); // held when the process dies
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(60_000);
    }

    @Test
    void aProcessKilledWhileHoldingAnIndexLockLeavesAnIndexThatOpensAtOnce() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
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
            while ((line = out.readLine()) != null && !line.equals("locked")) {
                seen.append(line).append('\n');
            }
            assertThat(line).as("child output:\n%s", seen).isEqualTo("locked");
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        long t0 = System.nanoTime();
        try (DramTier t = DramTier.open(config(dir))) {
            assertThat(t.blockCount()).isEqualTo(N);
            assertThat(t.indexRecovered()).isTrue();
            for (int i = 0; i < N; i++) {
                ReadResult r = t.read(Blocks.key(i));
                assertThat(r.outcome()).as("block %d", i).isEqualTo(ReadResult.Outcome.HIT);
                try (BlockHandle h = r.handle()) {
                    assertThat(h.payload()).isEqualTo(Blocks.payload(i, SIZE));
                }
            }
            // the locked segment takes writes again
            assertThat(t.remove(Blocks.key(7))).isTrue();
            assertThat(t.put(Blocks.meta(7, SIZE), Blocks.payload(7, SIZE))).isEqualTo(PutOutcome.STORED);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("DRAM CRASH: reopened after kill -9 under an index lock, " + N + " blocks read in " + ms
                + " ms");
        assertThat(ms).as("open + reads after the crash, ms").isLessThan(10_000);
    }
}
