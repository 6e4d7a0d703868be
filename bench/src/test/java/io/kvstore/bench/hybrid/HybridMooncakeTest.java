package io.kvstore.bench.hybrid;

import io.kvstore.bench.trace.MooncakeReader;
import io.kvstore.bench.trace.Trace;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The figures of docs/hybrid.md on the real Mooncake trace with the jamba-1.5-mini preset (looked up as
 * {@code MooncakeAcceptanceTest} does; skipped when absent). Each replay takes well under a second.
 */
@Timeout(120)
class HybridMooncakeTest {
    static Trace trace;

    @BeforeAll
    static void load() throws Exception {
        String set = System.getProperty("kvstore.traces");
        List<Path> dirs = set != null ? List.of(Path.of(set))
                : List.of(Path.of("../traces"), Path.of("../../shared/traces"), Path.of("/work/shared/traces"));
        Path file = dirs.stream().map(d -> d.resolve("mooncake/conversation_trace.jsonl.gz")).filter(Files::exists)
                .findFirst().orElse(null);
        assumeTrue(file != null, "Mooncake trace not found (looked in " + dirs + ")");
        trace = MooncakeReader.read(file);
    }

    static HybridReplayer.Result run(String policy, double fraction) {
        long bytes = Math.round(fraction * HybridSweep.footprintBytes(trace, ModelShape.JAMBA_15_MINI));
        return HybridReplayer.run(trace, ModelShape.JAMBA_15_MINI,
                HybridSweep.create(policy, ModelShape.JAMBA_15_MINI, trace, bytes), 50e9);
    }

    @Test
    void reusePointsBeatEveryBlockSnapshotsAtEqualBytesWithAFractionOfTheSnapshots() {
        HybridReplayer.Result def = run("default", 0.02);
        HybridReplayer.Result lru = run("lru-every-block", 0.02);
        assertThat(def.tokenHitRatio()).isCloseTo(0.1719, org.assertj.core.api.Assertions.within(0.002));
        assertThat(lru.tokenHitRatio()).isCloseTo(0.0840, org.assertj.core.api.Assertions.within(0.002));
        assertThat(def.tokenHitRatio()).isGreaterThan(2 * lru.tokenHitRatio());
        assertThat(def.flopsSavedFraction()).isGreaterThan(2 * lru.flopsSavedFraction());
        assertThat(def.snapshotsWritten()).isLessThan(lru.snapshotsWritten() / 10);
        assertThat(run("default", 0.01).tokenHitRatio()).isGreaterThan(1.6 * run("lru-every-block", 0.01)
                .tokenHitRatio());
    }

    /** docs/hybrid.md: spare room lifts the default above every-block LRU at 25%; reuse points alone are below. */
    @Test
    void spareRoomLiftsTheDefaultAboveEveryBlockLruAt25Percent() {
        double lru = run("lru-every-block", 0.25).tokenHitRatio();
        assertThat(run("default", 0.25).tokenHitRatio()).isCloseTo(0.3613, within(0.001)).isGreaterThan(lru);
        assertThat(run("reuse-points", 0.25).tokenHitRatio()).isLessThan(lru);
    }

    /** docs/hybrid.md: at 0.1% not even the offline bound reaches 5x every-block LRU (2.83x). */
    @Test
    void atTheSmallestCapacityNoRetentionCanReachFiveTimesTheBaseline() {
        double bound = run("bound-opt-kv", 0.001).tokenHitRatio();
        assertThat(bound).isCloseTo(0.1210, within(0.001));
        assertThat(bound).isLessThan(3 * run("lru-every-block", 0.001).tokenHitRatio());
    }
}
