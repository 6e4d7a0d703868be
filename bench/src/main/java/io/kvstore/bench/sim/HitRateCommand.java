package io.kvstore.bench.sim;

import io.kvstore.bench.hybrid.HybridRecord;
import io.kvstore.bench.hybrid.HybridSweep;
import io.kvstore.bench.hybrid.ModelShape;
import io.kvstore.bench.trace.KvTesterReader;
import io.kvstore.bench.trace.MooncakeReader;
import io.kvstore.bench.trace.SyntheticAgentWorkload;
import io.kvstore.bench.trace.Trace;
import io.kvstore.bench.trace.TraceFormat;
import io.kvstore.bench.trace.TraceFormatException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.progress.Progress;
import io.kvstore.policy.PolicyRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.DoubleConsumer;

/**
 * {@code kvstore bench hitrate}: replays a trace through the real {@code TieredStore} in metadata-only mode for
 * every policy at every capacity, and optionally through a tier hierarchy with the TTFT model.
 */
@Command(name = "hitrate", mixinStandardHelpOptions = true,
        description = "Prefix hit ratio of eviction policies on a trace, against Belady OPT; TTFT model.")
public final class HitRateCommand implements Callable<Integer> {

    @Option(names = "--trace", required = true, paramLabel = "FILE",
            description = "Trace file (.jsonl[.gz] Mooncake, .json[.gz] kv-cache-tester), a directory of "
                    + "kv-cache-tester sessions (merged), or 'synthetic' for the seeded agent workload.")
    String trace;

    @Option(names = "--format", description = "mooncake or kvtester; guessed from the path by default.")
    String format;

    @Option(names = "--policies", split = ",", paramLabel = "P,...",
            description = "Policies to sweep (registry names, 'default', 'opt', 'tinylfu-<p>'). "
                    + "Default: " + TRANSFORMER_POLICIES + ". With a hybrid model or --retention: retentions "
                    + "(default, reuse-points, default-spare-N, default-ckpt-N, policy-<p>, lru-every-block, "
                    + "lru-every-N, bound-opt-kv); default: default,lru-every-block,lru-every-4.")
    List<String> policies;

    static final String TRANSFORMER_POLICIES = "lru,fifo,lfu,arc,s3fifo,sieve,tinylfu,default";

    @Option(names = "--retention",
            description = "Replay the hybrid-aware retention sweep (state snapshots, docs/hybrid.md) for the --model "
                    + "preset; implied by a hybrid model such as jamba-1.5-mini.")
    boolean retention;

    @Option(names = "--capacities", split = ",", paramLabel = "C,...",
            description = "Capacities: 5%% of unique blocks, a block count, or bytes (64GiB). Default: 1%%,2%%,5%%,10%%,25%%.",
            defaultValue = "1%,2%,5%,10%,25%")
    List<String> capacities;

    @Option(names = "--json", paramLabel = "FILE", description = "Write one JSON record per policy x capacity.")
    Path json;

    @Option(names = "--plot", paramLabel = "FILE.svg", description = "Write an SVG plot of hit ratio vs capacity.")
    Path plot;

    @Option(names = "--no-opt", description = "Skip the Belady OPT reference runs.")
    boolean noOpt;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for merges, synthetic traces, policies.")
    long seed;

    @Option(names = "--span-seconds", defaultValue = "3600",
            description = "Window in which merged kv-cache-tester sessions start (seeded uniform offsets).")
    long spanSeconds;

    @Option(names = "--threads", description = "Replays run in parallel; default: available processors.")
    Integer threads;

    @Option(names = "--tiers", split = ",", paramLabel = "NAME=CAP[:POLICY],...",
            description = "Also replay a hierarchy, top first, e.g. hbm=1%%:default,dram=5%%:default,nvme=25%%:lru, "
                    + "and print the TTFT model for no cache, the top tier alone, and the hierarchy.")
    List<String> tiers;

    @Option(names = "--model", defaultValue = "llama3-8b",
            description = "KV layout and prefill speed preset: llama3-8b, llama3-70b, qwen3-32b, or the hybrid "
                    + "jamba-1.5-mini (1 attention : 7 Mamba layers; docs/hybrid.md). Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--prefill-tokens-per-second", description = "Overrides the model's GPU prefill throughput.")
    Double prefillTokensPerSecond;

    @Option(names = "--bandwidth", split = ",", paramLabel = "TIER=GBPS",
            description = "Bytes/s into GPU memory per tier in GB/s; defaults hbm=3000, dram=50, nvme=7, remote=10.")
    Map<String, Double> bandwidthGbps = new LinkedHashMap<>();

    @Option(names = "--nodes", paramLabel = "N",
            description = "Replay across N simulated nodes (a router picks one per request): per-node caches of "
                    + "each --capacities value alone, versus the same plus one shared tier (docs/simulator.md).")
    Integer nodes;

    @Option(names = "--routing", defaultValue = "random",
            description = "With --nodes: random, round-robin, prefix-affinity or prefix-load; several, comma-separated, "
                    + "compare the routers on per-node caches (hit ratio, modelled TTFT, node load). "
                    + "Default: ${DEFAULT-VALUE}.")
    String routing;

    @Option(names = "--miss-weight", defaultValue = "10",
            description = "With --routing prefix-load: the weight of the tokens a node would prefill against the time "
                    + "already queued on it (1 = this request's TTFT alone). Default: ${DEFAULT-VALUE}.")
    double missWeight;

    @Option(names = "--shared-tier-capacity", paramLabel = "C",
            description = "With --nodes: the shared tier's capacity (as --capacities); default: N x the per-node "
                    + "capacity.")
    String sharedTierCapacity;

    @Option(names = "--shared-write-through", paramLabel = "BLOCKS|all", defaultValue = "all",
            description = "With --nodes: blocks at chain positions below this are copied to the shared tier when "
                    + "stored (write-through); 0 = write-back only; all = every block. Default: ${DEFAULT-VALUE}.")
    String sharedWriteThrough;

    @Option(names = "--node-policy", defaultValue = "lru",
            description = "With --nodes: each node's local policy. Default: ${DEFAULT-VALUE}.")
    String nodePolicy;

    @Option(names = "--dram-nvme", split = ",", paramLabel = "DRAM/NVME,...",
            description = "Replay a DRAM + NVMe hierarchy instead of the single-tier sweep, for each pair of "
                    + "capacities (as --capacities, e.g. 1%%/10%%,2%%/25%%), with each --nvme-policies entry, and "
                    + "report hit ratio against flash bytes written.")
    List<String> dramNvme;

    @Option(names = "--nvme-policies", split = ",", paramLabel = "P,...",
            defaultValue = "none,fifo,lru,default,admit2:fifo,reused:fifo,reused-or-admit2:fifo,tinylfu-fifo",
            description = "With --dram-nvme: the NVMe level's policies (registry names; '<rule>:<policy>' puts a "
                    + "policy behind an admission rule: admit2, reused, reused-or-admit2; 'none' = DRAM alone). "
                    + "Default: ${DEFAULT-VALUE}.")
    List<String> nvmePolicies;

    @Option(names = "--dram-policy", defaultValue = "default",
            description = "With --dram-nvme: the DRAM level's policy. Default: ${DEFAULT-VALUE}.")
    String dramPolicy;

    @Option(names = "--synthetic-sessions", defaultValue = "200", description = "Sessions of the synthetic trace.")
    int syntheticSessions;

    PrintStream out = System.out;
    PrintStream err = System.err;
    private Progress progress = Progress.none();

    /** A model preset: KV layout dimensions and a prefill throughput (an assumption; override with options). */
    enum Model {
        LLAMA3_8B("bf16", 32, 8, 128, 12_000),
        LLAMA3_70B("bf16", 80, 8, 128, 3_000),
        QWEN3_32B("bf16", 64, 8, 128, 4_500);

        final String dtype;
        final int layers;
        final int kvHeads;
        final int headDim;
        final double prefillTokensPerSecond;

        Model(String dtype, int layers, int kvHeads, int headDim, double prefillTokensPerSecond) {
            this.dtype = dtype;
            this.layers = layers;
            this.kvHeads = kvHeads;
            this.headDim = headDim;
            this.prefillTokensPerSecond = prefillTokensPerSecond;
        }

        static Model parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown model '" + s + "'; known: llama3-8b, llama3-70b, qwen3-32b");
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        try {
            return run();
        } catch (IllegalArgumentException | TraceFormatException e) {
            err.println("hitrate: " + e.getMessage());
            return 2;
        }
    }

    private int run() throws Exception {
        long t0 = System.nanoTime();
        boolean hybridSweep = ModelShape.isPreset(model) && (retention || ModelShape.parse(model).hybrid());
        if (!hybridSweep) {
            Model.parse(model); // a bad name fails before the trace is read
        }
        progress = Progress.quietFirst(err, "bench hitrate");
        progress.phase("loading the trace " + trace);
        Trace tr = load();
        progress.end();
        if (hybridSweep) {
            return hybrid(tr, ModelShape.parse(model), t0);
        }
        if (policies == null) {
            policies = List.of(TRANSFORMER_POLICIES.split(","));
        }
        Model m = Model.parse(model);
        KvLayout layout = new KvLayout(m.dtype, m.layers, m.kvHeads, m.headDim, tr.blockTokens());
        out.printf(Locale.ROOT, "trace %s: %d requests, %d block accesses, %d unique blocks of %d tokens "
                        + "(%d bytes each for %s); loaded in %.1f s%n", tr.name(), tr.requests(), tr.accesses(),
                tr.uniqueBlocks(), tr.blockTokens(), layout.blockBytes(), model, (System.nanoTime() - t0) / 1e9);
        List<Capacity> caps = capacities.stream().map(Capacity::parse).toList();
        if (nodes != null) {
            return cluster(tr, layout, caps);
        }
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (dramNvme != null && !dramNvme.isEmpty()) {
            return flash(tr, layout, n);
        }
        long t1 = System.nanoTime();
        progress.phase(String.format(Locale.ROOT, "sweep of %d policies x %d capacities%s on %d threads",
                policies.size(), caps.size(), noOpt ? "" : " (+OPT)", n));
        List<SweepRecord> records = Sweep.run(tr, policies, caps, layout.blockBytes(), !noOpt, n, seed, progress);
        progress.end();
        out.print(Reports.table(records));
        out.printf(Locale.ROOT, "sweep: %d policies x %d capacities (+%s) in %.1f s on %d threads; default = %s%n",
                policies.size(), caps.size(), noOpt ? "no OPT" : "OPT", (System.nanoTime() - t1) / 1e9, n,
                PolicyRegistry.DEFAULT_POLICY);
        if (json != null) {
            Reports.json(records, json);
            out.println("wrote " + json);
        }
        if (plot != null) {
            Reports.plot(records, "Prefix hit ratio: " + tr.name(), plot);
            out.println("wrote " + plot);
        }
        if (tiers != null && !tiers.isEmpty()) {
            ttft(tr, layout, m);
        }
        return 0;
    }

    /** A hybrid model or {@code --retention}: every retention at every capacity, at equal bytes. */
    private int hybrid(Trace tr, ModelShape shape, long t0) throws Exception {
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        out.printf(Locale.ROOT, "trace %s: %d requests, %d block accesses, %d unique blocks of %d tokens; %s: "
                        + "%d bytes of attention KV per block, %d bytes per state snapshot, footprint %.1f GiB; "
                        + "loaded in %.1f s%n", tr.name(), tr.requests(), tr.accesses(), tr.uniqueBlocks(),
                tr.blockTokens(), shape.name(), shape.blockBytes(tr.blockTokens()), shape.snapshotBytes(),
                HybridSweep.footprintBytes(tr, shape) / (double) (1L << 30), (System.nanoTime() - t0) / 1e9);
        List<String> names = policies != null ? policies
                : shape.hybrid() ? HybridSweep.DEFAULT_POLICIES : List.of("lru-every-block");
        double bw = bandwidthGbps.getOrDefault("dram", 50.0) * 1e9;
        long t1 = System.nanoTime();
        List<HybridRecord> rows = HybridSweep.run(tr, shape, names,
                capacities.stream().map(Capacity::parse).toList(), bw, n);
        out.print(HybridSweep.table(rows));
        out.printf(Locale.ROOT, "hybrid sweep: %d retentions x %d capacities in %.1f s on %d threads; TTFT at %.0f "
                + "TFLOP/s prefill and %.0f GB/s from the cache%n", names.size(), capacities.size(),
                (System.nanoTime() - t1) / 1e9, n, shape.prefillFlopsPerSecond() / 1e12, bw / 1e9);
        if (json != null) {
            HybridSweep.json(rows, json);
            out.println("wrote " + json);
        }
        if (plot != null) {
            HybridSweep.plot(rows, "Token hit ratio, " + shape.name() + ": " + tr.name(), plot);
            out.println("wrote " + plot);
        }
        return 0;
    }

    /** {@code --dram-nvme}: hit ratio against flash bytes written, per size pair and NVMe policy. */
    private int flash(Trace tr, KvLayout layout, int n) throws Exception {
        long t1 = System.nanoTime();
        List<FlashSweep.Sizes> sizes = dramNvme.stream().map(FlashSweep.Sizes::parse).toList();
        progress.phase(String.format(Locale.ROOT, "flash sweep of %d size pairs x %d NVMe policies on %d threads",
                sizes.size(), nvmePolicies.size(), n));
        List<FlashSweep.Row> rows = FlashSweep.run(tr, sizes, dramPolicy, nvmePolicies, layout.blockBytes(), n, seed,
                progress);
        progress.end();
        out.print(FlashSweep.table(rows));
        out.printf(Locale.ROOT, "flash sweep: %d size pairs x %d NVMe policies in %.1f s on %d threads%n",
                sizes.size(), nvmePolicies.size(), (System.nanoTime() - t1) / 1e9, n);
        if (json != null) {
            FlashSweep.json(tr.name(), rows, json);
            out.println("wrote " + json);
        }
        return 0;
    }

    /** {@code --nodes}: per-node caches alone versus with a shared tier, one JSON line per per-node capacity. */
    private int cluster(Trace tr, KvLayout layout, List<Capacity> caps) throws Exception {
        if (routing.contains(",")) {
            return routingTable(tr, layout, caps);
        }
        ClusterReplayer.Routing route = ClusterReplayer.Routing.parse(routing);
        if (!PolicyRegistry.exists(nodePolicy)) {
            throw new IllegalArgumentException("unknown --node-policy '" + nodePolicy + "'");
        }
        int writeThrough = sharedWriteThrough.equals("all") ? Integer.MAX_VALUE
                : Integer.parseInt(sharedWriteThrough);
        ObjectMapper mapper = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (Capacity c : caps) {
            long local = c.toBlocks(tr.uniqueBlocks(), layout.blockBytes());
            long sharedCap = sharedTierCapacity == null ? local * nodes
                    : Capacity.parse(sharedTierCapacity).toBlocks(tr.uniqueBlocks(), layout.blockBytes());
            progress.phase(String.format(Locale.ROOT, "%d nodes at %s each: per-node caches alone and with a shared "
                    + "tier", nodes, c.text()));
            DoubleConsumer[] parts = progress.parts(2);
            var perNode = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> new ClusterReplayer(tr).progress(parts[0]).run(nodes, route, nodePolicy, local, 0, 0, seed));
            ClusterReplayer.Result withShared = new ClusterReplayer(tr).progress(parts[1]).run(nodes, route,
                    nodePolicy, local, sharedCap, writeThrough, seed);
            ClusterReplayer.Result alone = perNode.get();
            progress.end();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("trace", tr.name());
            m.put("nodes", nodes);
            m.put("routing", route.toString());
            m.put("node_policy", nodePolicy);
            m.put("node_capacity", c.text());
            m.put("node_capacity_blocks", local);
            m.put("shared_capacity_blocks", sharedCap);
            m.put("shared_write_through", sharedWriteThrough);
            m.put("unique_blocks", tr.uniqueBlocks());
            m.put("per_node_hit_ratio", alone.hitRatioBlocks());
            m.put("shared_hit_ratio", withShared.hitRatioBlocks());
            m.put("shared_over_per_node", alone.hitRatioBlocks() == 0 ? null
                    : withShared.hitRatioBlocks() / alone.hitRatioBlocks());
            m.put("per_node_hit_ratio_tokens", alone.hitRatioTokens());
            m.put("shared_hit_ratio_tokens", withShared.hitRatioTokens());
            m.put("hits_from_shared_tier_blocks", withShared.sharedHitBlocks());
            m.put("shared_tier_evictions", withShared.sharedEvictions());
            m.put("requests_per_node", alone.requestsPerNode());
            m.put("seconds", (alone.nanos() + withShared.nanos()) / 1e9);
            String line = mapper.writeValueAsString(m);
            lines.add(line);
            out.println(line);
        }
        if (json != null) {
            Files.write(json, lines);
            out.println("wrote " + json);
        }
        return 0;
    }

    /**
     * {@code --routing A,B,...}: each router on per-node caches only, one table per capacity; JSON lines with
     * {@code --json}, an SVG of the first capacity with {@code --plot}.
     */
    private int routingTable(Trace tr, KvLayout layout, List<Capacity> caps) throws Exception {
        List<ClusterReplayer.Routing> routes = java.util.Arrays.stream(routing.split(","))
                .map(ClusterReplayer.Routing::parse).toList();
        if (!PolicyRegistry.exists(nodePolicy)) {
            throw new IllegalArgumentException("unknown --node-policy '" + nodePolicy + "'");
        }
        double tps = prefillTokensPerSecond != null ? prefillTokensPerSecond : Model.parse(model).prefillTokensPerSecond;
        ObjectMapper mapper = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        boolean plotted = false;
        for (Capacity c : caps) {
            long local = c.toBlocks(tr.uniqueBlocks(), layout.blockBytes());
            List<ClusterReplayer.Result> results = new ArrayList<>();
            progress.phase(String.format(Locale.ROOT, "routing at %s per node: %d routers", c.text(), routes.size()));
            DoubleConsumer[] parts = progress.parts(routes.size());
            for (ClusterReplayer.Routing route : routes) {
                results.add(new ClusterReplayer(tr).progress(parts[results.size()]).run(nodes, route, nodePolicy,
                        local, 0, 0, seed, 1 / tps, missWeight));
            }
            progress.end();
            double random = results.stream().filter(r -> r.routing() == ClusterReplayer.Routing.RANDOM)
                    .mapToDouble(ClusterReplayer.Result::hitRatioBlocks).findFirst().orElse(0);
            out.printf(Locale.ROOT, "%n%s, %d nodes, per-node capacity %s (%d blocks, %s), prefill %.0f tokens/s%n",
                    tr.name(), nodes, c.text(), local, nodePolicy, tps);
            out.println(RoutingReport.header());
            for (ClusterReplayer.Result r : results) {
                out.println(RoutingReport.row(r, random));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("trace", tr.name());
                m.put("nodes", nodes);
                m.put("routing", r.routing().toString());
                m.put("node_policy", nodePolicy);
                m.put("node_capacity", c.text());
                m.put("node_capacity_blocks", local);
                m.put("prefill_tokens_per_second", tps);
                m.put("miss_weight", missWeight);
                m.put("hit_ratio", r.hitRatioBlocks());
                m.put("hit_ratio_tokens", r.hitRatioTokens());
                m.put("hit_over_random", random > 0 ? r.hitRatioBlocks() / random : null);
                m.put("mean_ttft_seconds", r.meanTtftSeconds());
                m.put("p50_ttft_seconds", r.ttftPercentileSeconds(50));
                m.put("p99_ttft_seconds", r.ttftPercentileSeconds(99));
                m.put("max_over_mean_load", r.maxOverMeanLoad());
                m.put("nodes_used", r.nodesUsed());
                m.put("requests_per_node", r.requestsPerNode());
                m.put("prefill_tokens_per_node", r.prefillTokensPerNode());
                m.put("seconds", r.nanos() / 1e9);
                lines.add(mapper.writeValueAsString(m));
            }
            if (plot != null && !plotted) {
                RoutingReport.plot(results, tr.name() + ": " + nodes + " nodes at " + c.text() + " each", plot);
                out.println("wrote " + plot);
                plotted = true;
            }
        }
        if (json != null) {
            Files.write(json, lines);
            out.println("wrote " + json);
        }
        return 0;
    }

    private Trace load() throws Exception {
        if (trace.equals("synthetic")) {
            SyntheticAgentWorkload d = SyntheticAgentWorkload.defaults();
            return new SyntheticAgentWorkload(syntheticSessions, d.meanTurns(), d.blockTokens(), d.systemTokens(),
                    d.toolSets(), d.toolTokens(), d.meanTurnTokens(), d.maxContextTokens(), d.spanMillis(),
                    d.meanThinkMillis()).generate(seed);
        }
        Path p = Path.of(trace);
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("no such trace: " + p);
        }
        TraceFormat f = format == null ? TraceFormat.detect(p) : TraceFormat.parse(format);
        return switch (f) {
            case MOONCAKE -> MooncakeReader.read(p);
            case KVTESTER -> KvTesterReader.read(p, seed, spanSeconds * 1000);
        };
    }

    private void ttft(Trace tr, KvLayout layout, Model m) {
        List<LevelConfig> levels = new ArrayList<>();
        for (String t : tiers) {
            String[] nameRest = t.split("=", 2);
            if (nameRest.length != 2) {
                throw new IllegalArgumentException("bad tier '" + t + "': use NAME=CAPACITY[:POLICY]");
            }
            String[] capPolicy = nameRest[1].split(":", 2);
            long blocks = Capacity.parse(capPolicy[0]).toBlocks(tr.uniqueBlocks(), layout.blockBytes());
            levels.add(new LevelConfig(nameRest[0].trim(), capPolicy.length > 1 ? capPolicy[1] : "default", blocks));
        }
        Map<String, Double> bw = new LinkedHashMap<>();
        bw.put("hbm", 3000e9);
        bw.put("dram", 50e9);
        bw.put("nvme", 7e9);
        bw.put("remote", 10e9);
        bandwidthGbps.forEach((k, v) -> bw.put(k, v * 1e9));
        double tps = prefillTokensPerSecond != null ? prefillTokensPerSecond : m.prefillTokensPerSecond;
        TtftModel model = new TtftModel(layout.blockBytes(), 1 / tps, bw);
        progress.phase("TTFT model: the top tier alone, then all " + levels.size() + " tiers");
        DoubleConsumer[] parts = progress.parts(2);
        ReplayResult top = new Replayer(tr).progress(parts[0]).run(List.of(levels.get(0)), null, true, seed);
        ReplayResult all = new Replayer(tr).progress(parts[1]).run(levels, null, true, seed);
        progress.end();
        out.printf(Locale.ROOT, "%nTTFT model (%s): %.0f prefill tokens/s, %d bytes/block, bandwidth GB/s %s%n",
                this.model, tps, layout.blockBytes(), bwText(bw));
        StringBuilder h = new StringBuilder("hierarchy:");
        for (int i = 0; i < levels.size(); i++) {
            LevelConfig l = levels.get(i);
            h.append(String.format(Locale.ROOT, " %s(%d blocks, %s, %d prefix-hit blocks)", l.name(),
                    l.capacityBlocks(), all.policies().get(i), all.hitsPerTier()[i]));
        }
        h.append(String.format(Locale.ROOT, "; prefix hit ratio %.4f by blocks, %.4f by tokens; %d evictions",
                all.hitRatioBlocks(), all.hitRatioTokens(), all.evictions()));
        out.println(h);
        out.println(TtftModel.Summary.header());
        out.println(model.summarize("no cache", tr, model.noCache(tr), 0).row());
        out.println(model.summarize(levels.get(0).name() + " only (" + levels.get(0).policy() + ")", tr,
                model.withCache(tr, top), top.hitRatioTokens()).row());
        out.println(model.summarize("tiered (" + levels.size() + " tiers)", tr, model.withCache(tr, all),
                all.hitRatioTokens()).row());
    }

    private static String bwText(Map<String, Double> bw) {
        StringBuilder sb = new StringBuilder();
        bw.forEach((k, v) -> sb.append(k).append('=').append(String.format(Locale.ROOT, "%.0f ", v / 1e9)));
        return sb.toString().trim();
    }
}
