package io.kvstore.bench.tiers;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DRAM tier's section: JMH {@link DramTierBenchmark} (memcpy, put, get) for every size and thread count,
 * fields {@code memcpy_gbps}, {@code dram_put_gbps}, {@code dram_get_gbps} (2 MiB, one thread), the put/memcpy
 * ratio, the get cost in ns, and one row per (op, size, threads) under {@code dram_results}; then
 * {@link PairedPutRun} per size (put and memcpy interleaved in one JVM): {@code dram_paired} and
 * {@code dram_put_ratio_paired_median}.
 */
final class DramSection implements TierBenchmark {

    private static final int PAIRED_ROUNDS = 21;

    @Override
    public String name() {
        return "dram";
    }

    @Override
    public Map<String, Object> run(TierBenchSettings s, PrintStream out) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Double> gbps = new LinkedHashMap<>();
        out.println("arena: " + s.dramArena());
        out.printf("%-7s %10s %7s %14s %10s %12s %9s%n", "op", "size", "threads", "ops/s", "GB/s", "ns/op",
                "vs memcpy");
        for (int threads : s.threads()) {
            ChainedOptionsBuilder b = new OptionsBuilder()
                    .include(DramTierBenchmark.class.getName() + "\\.(memcpy|put|get)$")
                    .param("size", s.sizes().stream().map(String::valueOf).toArray(String[]::new))
                    .param("arena", s.dramArena())
                    .threads(threads)
                    .forks(s.forks())
                    .warmupIterations(s.warmupIterations())
                    .warmupTime(TimeValue.milliseconds(s.iterationMillis()))
                    .measurementIterations(s.measureIterations())
                    .measurementTime(TimeValue.milliseconds(s.iterationMillis()))
                    .verbosity(s.verbose() ? VerboseMode.NORMAL : VerboseMode.SILENT)
                    .shouldFailOnError(true);
            Map<String, Double> opsPerSecond = new LinkedHashMap<>();
            for (RunResult r : new Runner(b.build()).run()) {
                String op = r.getParams().getBenchmark().replaceAll(".*\\.", "");
                int size = Integer.parseInt(r.getParams().getParam("size"));
                opsPerSecond.put(op + "/" + size, r.getPrimaryResult().getScore());
            }
            for (int size : s.sizes()) {
                double memcpy = opsPerSecond.getOrDefault("memcpy/" + size, Double.NaN) * size / 1e9;
                for (String op : List.of("memcpy", "put", "get")) {
                    double ops = opsPerSecond.getOrDefault(op + "/" + size, Double.NaN);
                    double g = ops * size / 1e9;
                    double nsPerOp = threads * 1e9 / ops;
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("op", op);
                    row.put("size_bytes", size);
                    row.put("threads", threads);
                    row.put("ops_per_s", round(ops));
                    row.put("gbps", round(g));
                    row.put("ns_per_op", round(nsPerOp));
                    row.put("ratio_to_memcpy", round(g / memcpy));
                    rows.add(row);
                    gbps.put(op + "/" + size + "/" + threads, g);
                    out.printf("%-7s %10s %7d %14.0f %10.2f %12.0f %9.2f%n", op, human(size), threads, ops, g, nsPerOp,
                            g / memcpy);
                }
            }
        }
        out.println("put vs memcpy, interleaved rounds in this JVM (medians of " + PAIRED_ROUNDS + " rounds):");
        List<Map<String, Object>> paired = new ArrayList<>();
        Map<Integer, PairedPutRun.Result> pairedBySize = new LinkedHashMap<>();
        for (int size : s.sizes()) {
            PairedPutRun.Result r = PairedPutRun.run(size, PAIRED_ROUNDS, s.dramArena());
            pairedBySize.put(size, r);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("size_bytes", size);
            row.put("rounds", r.rounds());
            row.put("memcpy_gbps", round(r.memcpyGbps()));
            row.put("put_gbps", round(r.putGbps()));
            row.put("median_ratio", round(r.medianRatio()));
            paired.add(row);
            out.printf("  %10s: memcpy %6.2f GB/s, put %6.2f GB/s, median ratio %.2f%n", human(size), r.memcpyGbps(),
                    r.putGbps(), r.medianRatio());
        }
        Map<String, Object> f = new LinkedHashMap<>();
        int h = s.sizes().contains(TierBenchSettings.HEADLINE_SIZE) ? TierBenchSettings.HEADLINE_SIZE : s.sizes().get(0);
        int t = s.threads().get(0);
        double memcpy = gbps.get("memcpy/" + h + "/" + t);
        double put = gbps.get("put/" + h + "/" + t);
        double get = gbps.get("get/" + h + "/" + t);
        f.put("dram_arena", s.dramArena());
        f.put("block_size_bytes", h);
        f.put("threads", t);
        f.put("memcpy_gbps", round(memcpy));
        f.put("dram_put_gbps", round(put));
        f.put("dram_get_gbps", round(get));
        f.put("dram_put_ratio_to_memcpy", round(put / memcpy));
        f.put("dram_get_ns", round(h / get));
        f.put("dram_put_ratio_paired_median", round(pairedBySize.get(h).medianRatio()));
        f.put("dram_results", rows);
        f.put("dram_paired", paired);
        return f;
    }

    static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : v;
    }

    static String human(int size) {
        return size % (1 << 20) == 0 ? (size >> 20) + " MiB" : size % 1024 == 0 ? (size >> 10) + " KiB" : size + " B";
    }
}
