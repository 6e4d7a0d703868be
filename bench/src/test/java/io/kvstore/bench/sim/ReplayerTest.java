package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;
import io.kvstore.bench.trace.TraceBuilder;
import io.kvstore.core.progress.Progress;
import io.kvstore.policy.PolicyRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class ReplayerTest {

    /** Requests given as id chains; every request has full blocks of 10 tokens except where tokens say less. */
    static Trace trace(int[] tokens, long[]... requests) {
        TraceBuilder b = new TraceBuilder(10);
        for (int r = 0; r < requests.length; r++) {
            int in = tokens == null ? requests[r].length * 10 : tokens[r];
            b.add(r, r, in, 0, requests[r], requests[r].length);
        }
        return b.build("hand-made");
    }

    static ReplayResult run(Trace t, String policy, long blocks) {
        return new Replayer(t).run(List.of(new LevelConfig("cache", policy, blocks)), t.nextAccess(), true, 1);
    }

    @Test
    void prefixHitsStopAtTheFirstMissAndCountTokens() {
        Trace t = trace(new int[] {30, 30, 25}, new long[] {1, 2, 3}, new long[] {1, 2, 4}, new long[] {1, 5, 3});
        ReplayResult r = run(t, "lru", 100);
        // request 2: blocks 1, 2 hit; request 3: block 1 hits, 5 misses, 3 is cached but after the miss
        assertThat(r.hitBlocks()).isEqualTo(3);
        assertThat(r.requestedBlocks()).isEqualTo(9);
        assertThat(r.hitTokens()).isEqualTo(30);
        assertThat(r.requestedTokens()).isEqualTo(85);
        assertThat(r.perRequestHits()[1][0]).isEqualTo(2);
        assertThat(r.evictions()).isZero();
    }

    @Test
    void lruAtSmallCapacityMatchesAHandComputation() {
        // capacity 2, LRU: [1,2] -> cache {1,2}; [3] -> evicts 1 -> {2,3}; [1,2]: 1 misses (prefix 0), evicts 2
        Trace t = trace(null, new long[] {1, 2}, new long[] {3}, new long[] {1, 2}, new long[] {1});
        ReplayResult r = run(t, "lru", 2);
        assertThat(r.hitBlocks()).isEqualTo(1); // only the last request's block 1
        assertThat(r.evictions()).isEqualTo(3);
    }

    @Test
    void partialTrailingBlocksReachThePolicyAsPartial() {
        Trace t = trace(new int[] {25, 25}, new long[] {1, 2, 3}, new long[] {1, 2, 3});
        assertThat(run(t, "lru", 10).hitBlocks()).isEqualTo(3);
        ReplayResult d = run(t, "adaptive-prefix", 10);
        assertThat(d.hitBlocks()).isEqualTo(2); // the partial block 3 was never admitted
        assertThat(d.refused()).isEqualTo(2);
    }

    @Test
    void optBoundsEveryPolicyOnRandomPrefixTraces() {
        SplittableRandom rnd = new SplittableRandom(5);
        long[][] reqs = new long[400][];
        for (int r = 0; r < reqs.length; r++) {
            int root = rnd.nextInt(6);
            int len = 1 + rnd.nextInt(8);
            int branch = rnd.nextInt(4);
            reqs[r] = new long[len];
            for (int j = 0; j < len; j++) {
                reqs[r][j] = j < 2 ? root * 100L + j : root * 100_000L + branch * 1000L + j;
            }
        }
        Trace t = trace(null, reqs);
        for (long cap : new long[] {3, 10, 30}) {
            double opt = run(t, "opt", cap).hitRatioBlocks();
            for (String p : PolicyRegistry.names()) {
                assertThat(run(t, p, cap).hitRatioBlocks()).as("%s at %d", p, cap).isLessThanOrEqualTo(opt + 1e-9);
            }
        }
    }

    @Test
    void hierarchyCountsHitsPerTierAndOfflinePoliciesNeedTheFuture() {
        Trace t = trace(null, new long[] {1, 2, 3, 4}, new long[] {5, 6}, new long[] {1, 2, 3, 4});
        ReplayResult r = new Replayer(t).run(List.of(new LevelConfig("hbm", "lru", 2),
                new LevelConfig("dram", "lru", 10)), null, true, 1);
        assertThat(r.hitBlocks()).isEqualTo(4);
        assertThat(r.hitsPerTier()[0] + r.hitsPerTier()[1]).isEqualTo(4);
        assertThat(r.hitsPerTier()[1]).isPositive();
        assertThatThrownBy(() -> new Replayer(t).run(List.of(new LevelConfig("c", "opt", 2)), null, false, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offline");
    }

    @Test
    void replaysAndSweepsReportTheirProgress() throws Exception {
        long[][] requests = new long[500][];
        for (int r = 0; r < requests.length; r++) {
            requests[r] = new long[] {1, 2 + r % 7, 100 + r};
        }
        Trace t = trace(null, requests);
        List<Double> seen = new ArrayList<>();
        new Replayer(t).progress(seen::add).run(List.of(new LevelConfig("cache", "lru", 8)), null, false, 1);
        assertThat(seen).hasSize(100).startsWith(0.0).isSorted().allMatch(f -> f < 1);

        ByteArrayOutputStream bar = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(bar, true, StandardCharsets.UTF_8), true, "sweep");
        progress.phase("2 policies x 2 capacities (+OPT)");
        List<SweepRecord> records = Sweep.run(t, List.of("lru", "fifo"), List.of(Capacity.parse("4"),
                Capacity.parse("8")), 1, true, 2, 1, progress);
        progress.end();
        assertThat(records).hasSize(4);
        String out = bar.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("\rsweep: 2 policies x 2 capacities (+OPT) [").contains("  50%")
                .endsWith("] 100%" + System.lineSeparator());
    }
}
