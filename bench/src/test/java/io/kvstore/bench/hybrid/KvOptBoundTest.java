package io.kvstore.bench.hybrid;

import io.kvstore.bench.trace.Trace;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class KvOptBoundTest {
    static final ModelShape JAMBA = ModelShape.JAMBA_15_MINI;
    static final int BT = 64;

    /** Random conversations over a few shared system prompts, as a trace of prefix-chained block ids. */
    static Trace randomTrace(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Integer> ids = new HashMap<>();
        List<int[]> contexts = new ArrayList<>();
        List<Integer> blocks = new ArrayList<>();
        int requests = 600;
        int[] start = new int[requests + 1];
        int[] tokens = new int[requests];
        for (int q = 0; q < requests; q++) {
            int[] base = contexts.isEmpty() || rnd.nextInt(4) == 0 ? new int[] {rnd.nextInt(3)}
                    : contexts.get(rnd.nextInt(contexts.size()));
            int keep = Math.max(1, base.length - (rnd.nextInt(5) == 0 ? rnd.nextInt(base.length) : 0));
            int[] ctx = java.util.Arrays.copyOf(base, keep + 1 + rnd.nextInt(6));
            for (int j = keep; j < ctx.length; j++) {
                ctx[j] = rnd.nextInt(1 << 20);
            }
            contexts.add(ctx);
            start[q] = blocks.size();
            StringBuilder path = new StringBuilder();
            for (int v : ctx) {
                path.append(v).append('/');
                blocks.add(ids.computeIfAbsent(path.toString(), k -> ids.size()));
            }
            tokens[q] = ctx.length * BT + rnd.nextInt(BT);
        }
        start[requests] = blocks.size();
        return new Trace("random", BT, start, blocks.stream().mapToInt(Integer::intValue).toArray(), tokens,
                new long[requests], new int[requests]);
    }

    @Test
    void noRetentionBeatsTheBound() {
        Trace t = randomTrace(11);
        long footprint = HybridSweep.footprintBytes(t, JAMBA);
        for (double f : new double[] {0.002, 0.01, 0.05, 0.2, 1}) {
            long cap = Math.round(f * footprint);
            double bound = HybridReplayer.run(t, JAMBA, new KvOptBound(t, JAMBA, cap), 50e9).tokenHitRatio();
            for (String p : List.of("default", "default-ckpt-4", "lru-every-block", "lru-every-4")) {
                double r = HybridReplayer.run(t, JAMBA, HybridSweep.create(p, JAMBA, t, cap), 50e9).tokenHitRatio();
                assertThat(r).as("%s at %s", p, f).isLessThanOrEqualTo(bound);
            }
            // the Transformer's plain prefix LRU at the same bytes holds at least as many blocks: the bound too
            double llama = HybridReplayer.run(t, JAMBA, new LruEveryN(1, ModelShape.LLAMA3_8B, BT, t.uniqueBlocks(),
                    cap / JAMBA.blockBytes(BT) * ModelShape.LLAMA3_8B.blockBytes(BT)), 50e9).tokenHitRatio();
            assertThat(llama).isLessThanOrEqualTo(bound);
        }
    }

    @Test
    void unlimitedCapacityHitsEveryRepeatedBlock() {
        Trace t = randomTrace(3);
        int[] seen = new int[t.uniqueBlocks()];
        long repeated = 0;
        long all = 0;
        for (int r = 0; r < t.requests(); r++) {
            all += t.inputTokens(r);
            for (int j = 0, n = t.inputTokens(r) / BT; j < n; j++) {
                if (seen[t.block(t.start(r) + j)]++ > 0) {
                    repeated += BT;
                }
            }
        }
        double bound = HybridReplayer.run(t, JAMBA, new KvOptBound(t, JAMBA, Long.MAX_VALUE), 50e9).tokenHitRatio();
        assertThat(bound).isEqualTo((double) repeated / all);
    }
}
