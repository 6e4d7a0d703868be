package io.kvstore.bench.policy;

import io.kvstore.bench.trace.SyntheticAgentWorkload;
import io.kvstore.bench.trace.Trace;
import io.kvstore.core.key.BlockKey;
import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The cost of one policy operation as the store makes it, for a policy next to {@code lru} in the same run: each
 * benchmark call is the next block access of the synthetic agent workload ({@code --trace synthetic} of the
 * simulator: sessions sharing a system prompt and tool definitions, every turn re-sending its growing context),
 * which is {@code onHit} when the block is tracked and otherwise {@code admit}, followed by {@code evict} when the
 * admitted block overflows the capacity. The trace is replayed in a loop, so the policy stays full and every
 * operation is measured in steady state. Sample-time mode gives the distribution (p50, p99, p99.99) per operation.
 *
 * <p>Capacity is a fraction of the trace's unique blocks ({@code capacityPercent}); keys are the simulator's
 * {@code BlockKey}s, created once, so the figures include the policy's hashing and {@code equals} of real keys.
 *
 * <p>Run with JMH's main: {@code java <kvstore JVM flags> -cp "bench/target/classes:bench/target/lib/*"
 * org.openjdk.jmh.Main PolicyBenchmark -f 1 -wi 3 -i 5}. The memory per tracked block is measured separately by
 * {@link PolicyFootprint}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyBenchmark {

    /** Registry name of the policy; {@code lru} is the baseline. */
    @Param({"default", "lru"})
    public String policy;

    /** Capacity in percent of the trace's unique blocks. */
    @Param({"1", "10"})
    public int capacityPercent;

    private static final Predicate<BlockKey> ANY = k -> true;
    private EvictionPolicy<BlockKey> p;
    private BlockKey[] keys;
    private BlockKey[] parents;
    private int[] positions;
    private boolean[] partial;
    private long capacity;
    private int i;

    @Setup(Level.Trial)
    public void setUp() {
        Trace t = SyntheticAgentWorkload.defaults().generate(42);
        int n = t.accesses();
        keys = new BlockKey[n];
        parents = new BlockKey[n];
        positions = new int[n];
        partial = new boolean[n];
        BlockKey[] byId = new BlockKey[t.uniqueBlocks()];
        for (int r = 0; r < t.requests(); r++) {
            for (int j = 0, a = t.start(r); a < t.end(r); j++, a++) {
                int id = t.block(a);
                if (byId[id] == null) {
                    byId[id] = BlockKey.synthetic(1, id);
                }
                keys[a] = byId[id];
                parents[a] = j == 0 ? null : keys[a - 1];
                positions[a] = j;
                partial[a] = t.partial(r, j);
            }
        }
        capacity = Math.max(16, (long) t.uniqueBlocks() * capacityPercent / 100);
        p = PolicyRegistry.create(policy, new PolicySpec(capacity, 1, 42));
        for (int a = 0; a < 2 * n; a++) {
            access();
        }
    }

    /** One block access: a hit, or an offer and, if admitted into a full policy, one eviction. */
    @Benchmark
    public Object access() {
        int a = i;
        i = a + 1 == keys.length ? 0 : a + 1;
        BlockKey k = keys[a];
        if (p.contains(k)) {
            p.onHit(k);
            return k;
        }
        if (p.admit(new Candidate<>(k, parents[a], positions[a], 1, partial[a])) && p.weightedSize() > capacity) {
            return p.evict(p.weightedSize() - capacity, ANY);
        }
        return k;
    }
}
