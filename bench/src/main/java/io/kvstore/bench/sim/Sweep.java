package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;
import io.kvstore.core.progress.Progress;
import io.kvstore.policy.PolicyRegistry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.DoubleConsumer;

/**
 * Runs every policy at every capacity on one trace, single tier, plus Bélády OPT at each capacity for the
 * ratio to the optimum. Runs are independent replays through their own {@code TieredStore}, spread over a
 * fixed number of threads; results come back in policy-major order regardless of scheduling.
 */
public final class Sweep {
    private Sweep() {
    }

    /**
     * @param policies   registry names ({@code default} is resolved, {@code opt} allowed)
     * @param capacities capacities in blocks
     * @param withOpt    also run OPT at every capacity (for {@code opt_hit_ratio_blocks})
     * @param threads    worker threads, at least 1
     */
    public static List<SweepRecord> run(Trace trace, List<String> policies, List<Capacity> capacities,
                                        long blockBytes, boolean withOpt, int threads, long seed)
            throws InterruptedException {
        return run(trace, policies, capacities, blockBytes, withOpt, threads, seed, Progress.none());
    }

    /** As {@link #run(Trace, List, List, long, boolean, int, long)}, reporting to the current phase of progress. */
    public static List<SweepRecord> run(Trace trace, List<String> policies, List<Capacity> capacities,
                                        long blockBytes, boolean withOpt, int threads, long seed, Progress progress)
            throws InterruptedException {
        for (String p : policies) {
            if (!PolicyRegistry.exists(p)) {
                throw new IllegalArgumentException("unknown policy '" + p + "'; known: " + PolicyRegistry.names()
                        + ", default and tinylfu-<policy>");
            }
        }
        boolean needOpt = withOpt || policies.stream().anyMatch(p -> PolicyRegistry.resolve(p).equals("opt"));
        int[] next = needOpt ? trace.nextAccess() : null;
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "sweep");
            t.setDaemon(true);
            return t;
        });
        try {
            Set<Long> optBlocks = new LinkedHashSet<>();
            if (withOpt) {
                capacities.forEach(c -> optBlocks.add(c.toBlocks(trace.uniqueBlocks(), blockBytes)));
            }
            int replays = optBlocks.size();
            for (String p : policies) {
                for (Capacity c : capacities) {
                    replays += PolicyRegistry.resolve(p).equals("opt")
                            && optBlocks.contains(c.toBlocks(trace.uniqueBlocks(), blockBytes)) ? 0 : 1;
                }
            }
            Iterator<DoubleConsumer> parts = Arrays.asList(progress.parts(Math.max(1, replays))).iterator();
            Map<Long, Future<ReplayResult>> opt = new LinkedHashMap<>();
            for (long blocks : optBlocks) {
                DoubleConsumer part = parts.next();
                opt.put(blocks, pool.submit(() -> replay(trace, "opt", blocks, next, seed, part)));
            }
            List<Future<ReplayResult>> runs = new ArrayList<>();
            for (String p : policies) {
                for (Capacity c : capacities) {
                    long blocks = c.toBlocks(trace.uniqueBlocks(), blockBytes);
                    String name = PolicyRegistry.resolve(p);
                    if (name.equals("opt") && opt.containsKey(blocks)) {
                        runs.add(opt.get(blocks));
                    } else {
                        DoubleConsumer part = parts.next();
                        runs.add(pool.submit(() -> replay(trace, p, blocks, next, seed, part)));
                    }
                }
            }
            List<SweepRecord> out = new ArrayList<>();
            int i = 0;
            for (String p : policies) {
                for (Capacity c : capacities) {
                    ReplayResult r = runs.get(i++).get();
                    long blocks = r.capacityBlocks()[0];
                    double optRatio = opt.containsKey(blocks) ? opt.get(blocks).get().hitRatioBlocks() : Double.NaN;
                    Map<String, Long> perTier = new LinkedHashMap<>();
                    perTier.put(r.tiers().get(0), r.hitsPerTier()[0]);
                    out.add(new SweepRecord(PolicyRegistry.resolve(p), c.text(), blocks,
                            (double) blocks / trace.uniqueBlocks(), r.hitRatioBlocks(), r.hitRatioTokens(), optRatio,
                            optRatio > 0 ? r.hitRatioBlocks() / optRatio : Double.NaN, perTier, r.evictions(),
                            r.refused(), r.nanos() / 1e9));
                }
            }
            return out;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause);
        } finally {
            pool.shutdownNow();
        }
    }

    private static ReplayResult replay(Trace trace, String policy, long blocks, int[] next, long seed,
                                       DoubleConsumer progress) {
        ReplayResult r = new Replayer(trace).progress(progress)
                .run(List.of(new LevelConfig("cache", policy, blocks)), next, false, seed);
        progress.accept(1);
        return r;
    }
}
