package io.kvstore.bench.hybrid;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kvstore.bench.sim.Capacity;
import io.kvstore.bench.sim.Parallel;
import io.kvstore.bench.sim.Reports;
import io.kvstore.bench.sim.SweepRecord;
import io.kvstore.bench.trace.Trace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Every retention at every capacity for one model on one trace, at equal bytes: a capacity is a number of bytes
 * that every retention gets (a fraction is of {@link #footprintBytes}). Runs go in parallel over a fixed number of
 * threads; rows come back in policy-major order.
 */
public final class HybridSweep {
    /** The retentions swept when none are named: kvstore's and the two baselines. */
    public static final List<String> DEFAULT_POLICIES = List.of("default", "lru-every-block", "lru-every-4");

    private HybridSweep() {
    }

    /**
     * The bytes that hold every unique block of the trace with a snapshot at each (for a Transformer, every unique
     * block): what {@code 100%} means.
     */
    public static long footprintBytes(Trace trace, ModelShape model) {
        return (long) trace.uniqueBlocks() * (model.blockBytes(trace.blockTokens()) + model.snapshotBytes());
    }

    /** A capacity in bytes: a fraction of the footprint, a block count (each with a snapshot), or bytes. */
    public static long bytes(Capacity c, Trace trace, ModelShape model) {
        if (!Double.isNaN(c.fraction())) {
            return Math.max(1, Math.round(c.fraction() * footprintBytes(trace, model)));
        }
        if (c.blocks() > 0) {
            return c.blocks() * (model.blockBytes(trace.blockTokens()) + model.snapshotBytes());
        }
        return c.bytes();
    }

    /**
     * A new retention by name: {@code default} (hybrids only: {@link ReusePointRetention} with spare snapshots every
     * {@value ReusePointRetention#DEFAULT_SPARE_EVERY} blocks), {@code reuse-points} (the same without spare
     * snapshots), {@code default-spare-N} (spare snapshots every N blocks), {@code default-ckpt-N} (reuse points plus
     * a low-ranked checkpoint snapshot every N blocks of never-seen input), {@code policy-P} (reuse points under the
     * registered block policy P, {@link PolicyRetention}), {@code lru-every-block},
     * {@code lru-every-N} ({@link LruEveryN}), {@code bound-opt-kv} (an offline upper bound, {@link KvOptBound}).
     */
    public static Retention create(String name, ModelShape model, Trace trace, long capacityBytes) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        int bt = trace.blockTokens();
        int unique = trace.uniqueBlocks();
        if (n.equals("default") || n.equals("reuse-points") || n.startsWith("default-spare-")) {
            int spare = n.equals("default") ? ReusePointRetention.DEFAULT_SPARE_EVERY
                    : n.equals("reuse-points") ? 0 : positive(n, "default-spare-");
            return new ReusePointRetention(model, bt, unique, capacityBytes, ReusePointRetention.DEFAULT_ALPHA, 0, 1,
                    spare);
        }
        if (n.startsWith("default-ckpt-")) {
            return new ReusePointRetention(model, bt, unique, capacityBytes, ReusePointRetention.DEFAULT_ALPHA,
                    positive(n, "default-ckpt-"), CHECKPOINT_WEIGHT, 0);
        }
        if (n.startsWith("policy-")) {
            return new PolicyRetention(n.substring("policy-".length()), model, bt, unique, capacityBytes);
        }
        if (n.equals("bound-opt-kv")) {
            return new KvOptBound(trace, model, capacityBytes);
        }
        if (n.equals("lru-every-block") || n.equals("lru")) {
            return new LruEveryN(1, model, bt, unique, capacityBytes);
        }
        if (n.startsWith("lru-every-")) {
            return new LruEveryN(positive(n, "lru-every-"), model, bt, unique, capacityBytes);
        }
        throw new IllegalArgumentException("unknown retention '" + name + "'; known: " + KNOWN);
    }

    private static final String KNOWN = "default, reuse-points, default-spare-N, default-ckpt-N, policy-P (P a "
            + "registered policy), lru-every-block, lru-every-N (N >= 1), bound-opt-kv";

    /** What a checkpoint snapshot's FLOPs per byte count for, against a snapshot at a likely reuse point. */
    static final double CHECKPOINT_WEIGHT = 0.01;

    private static int positive(String name, String prefix) {
        try {
            int v = Integer.parseInt(name.substring(prefix.length()));
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // the error below
        }
        throw new IllegalArgumentException("bad retention '" + name + "': " + prefix + "N needs N >= 1; known: "
                + KNOWN);
    }

    /**
     * @param bandwidthBytesPerSecond bytes per second from the cache into GPU memory, for the TTFT model
     * @param threads                 worker threads, at least 1
     */
    public static List<HybridRecord> run(Trace trace, ModelShape model, List<String> policies,
                                         List<Capacity> capacities, double bandwidthBytesPerSecond, int threads)
            throws InterruptedException {
        for (String p : policies) {
            create(p, model, trace, 1); // fail fast on a bad name before any replay starts
        }
        long footprint = footprintBytes(trace, model);
        List<Callable<HybridRecord>> runs = new ArrayList<>();
        for (String p : policies) {
            for (Capacity c : capacities) {
                long cap = bytes(c, trace, model);
                runs.add(() -> {
                    Retention ret = create(p, model, trace, cap);
                    HybridReplayer.Result r = HybridReplayer.run(trace, model, ret, bandwidthBytesPerSecond);
                    return new HybridRecord(model.name(), ret.name(), c.text(), cap, (double) cap / footprint,
                            r.tokenHitRatio(), r.flopsSavedFraction(), r.meanTtftSeconds(), r.p99TtftSeconds(),
                            r.snapshotsWritten(), r.evictions(), r.nanos() / 1e9);
                });
            }
        }
        return Parallel.run(runs, threads, "hybrid-sweep");
    }

    /** A fixed-width table, one row per record. */
    public static String table(List<HybridRecord> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-16s %-16s %9s %12s %10s %10s %10s %9s %9s %11s %7s%n", "model",
                "policy", "capacity", "GiB", "fraction", "hit(tok)", "flops", "ttft s", "p99 s", "snapshots", "sec"));
        for (HybridRecord r : rows) {
            sb.append(String.format(Locale.ROOT, "%-16s %-16s %9s %12.1f %10.4f %10.4f %10.4f %9.3f %9.3f %11d %7.2f%n",
                    r.model(), r.policy(), r.capacity(), r.capacity_bytes() / (double) (1L << 30),
                    r.capacity_fraction(), r.token_hit_ratio(), r.prefill_flops_saved_fraction(),
                    r.mean_ttft_seconds(), r.p99_ttft_seconds(), r.snapshots_written(), r.seconds()));
        }
        return sb.toString();
    }

    /** Writes the rows as a JSON array. */
    public static void json(List<HybridRecord> rows, Path file) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), rows);
    }

    /** Writes an SVG of token hit ratio against capacity, one line per retention. */
    public static void plot(List<HybridRecord> rows, String title, Path file) throws IOException {
        List<SweepRecord> points = new ArrayList<>();
        for (HybridRecord r : rows) {
            points.add(new SweepRecord(r.policy(), r.capacity(), 0, r.capacity_fraction(), r.token_hit_ratio(),
                    r.token_hit_ratio(), Double.NaN, Double.NaN, Map.of(), r.evictions(), 0, r.seconds()));
        }
        Files.writeString(file, Reports.svg(points, title, "capacity (fraction of every-block bytes",
                "prefix hit ratio (tokens)"), StandardCharsets.UTF_8);
    }
}
