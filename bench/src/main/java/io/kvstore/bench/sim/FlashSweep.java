package io.kvstore.bench.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kvstore.bench.trace.Trace;
import io.kvstore.core.progress.Progress;
import io.kvstore.policy.PolicyRegistry;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.DoubleConsumer;

/**
 * {@code bench hitrate --dram-nvme}: replays a trace through a DRAM + NVMe hierarchy (both metadata-only, in the real
 * {@code TieredStore}) for every pair of sizes and every NVMe policy, and reports the prefix hit ratio against the
 * bytes written to flash: puts that land on NVMe (DRAM refused them) plus DRAM victims demoted into it. Blocks
 * weigh the trace's real block size in the model's KV layout. Policy {@code none} is DRAM alone (what the flash
 * level adds). Runs are independent replays spread over a fixed number of threads.
 */
public final class FlashSweep {

    /** A DRAM and an NVMe capacity, written {@code DRAM/NVME} (e.g. {@code 1%/10%}). */
    public record Sizes(Capacity dram, Capacity nvme) {
        public static Sizes parse(String s) {
            String[] p = s.split("/", 2);
            if (p.length != 2) {
                throw new IllegalArgumentException("bad --dram-nvme '" + s + "': use DRAM/NVME, e.g. 1%/10%");
            }
            return new Sizes(Capacity.parse(p[0]), Capacity.parse(p[1]));
        }

        String text() {
            return dram.text() + "/" + nvme.text();
        }
    }

    /**
     * One replay.
     *
     * @param flashBlocks      blocks written to the NVMe level
     * @param rewrittenBlocks  of those, re-demotions of blocks promoted out of NVMe earlier
     * @param partialBlocks    of those, trailing partial blocks
     */
    public record Row(String sizes, long dramBlocks, long nvmeBlocks, String dramPolicy, String nvmePolicy,
                      double hitRatioBlocks, double hitRatioTokens, long hitBlocks, long dramHits, long nvmeHits,
                      long flashBlocks, long rewrittenBlocks, long partialBlocks, long relocatedBlocks,
                      long blockBytes, long evictions, double seconds) {

        /** Bytes written to flash. */
        public long flashBytes() {
            return flashBlocks * blockBytes;
        }

        /** Flash bytes written per byte served from a prefix hit (any tier). */
        public double flashPerHitByte() {
            return hitBlocks == 0 ? Double.NaN : (double) flashBlocks / hitBlocks;
        }

        /** Flash bytes written per byte served from NVMe. */
        public double flashPerNvmeHitByte() {
            return nvmeHits == 0 ? Double.NaN : (double) flashBlocks / nvmeHits;
        }
    }

    private FlashSweep() {
    }

    /** Runs every size pair with every NVMe policy ({@code none}: DRAM alone). */
    public static List<Row> run(Trace trace, List<Sizes> sizes, String dramPolicy, List<String> nvmePolicies,
                                long blockBytes, int threads, long seed) throws InterruptedException {
        return run(trace, sizes, dramPolicy, nvmePolicies, blockBytes, threads, seed, Progress.none());
    }

    /** As {@link #run(Trace, List, String, List, long, int, long)}, reporting to the current phase of progress. */
    public static List<Row> run(Trace trace, List<Sizes> sizes, String dramPolicy, List<String> nvmePolicies,
                                long blockBytes, int threads, long seed, Progress progress)
            throws InterruptedException {
        if (!PolicyRegistry.exists(dramPolicy)) {
            throw new IllegalArgumentException("unknown --dram-policy '" + dramPolicy + "'");
        }
        for (String p : nvmePolicies) {
            if (!p.equals("none") && !PolicyRegistry.exists(p)) {
                throw new IllegalArgumentException("unknown NVMe policy '" + p + "'; known: " + PolicyRegistry.names()
                        + ", default, none, tinylfu-<policy> and <rule>:<policy> with a rule in "
                        + PolicyRegistry.admissionRules());
            }
        }
        List<Callable<Row>> runs = new ArrayList<>();
        DoubleConsumer[] parts = progress.parts(Math.max(1, sizes.size() * nvmePolicies.size()));
        for (Sizes s : sizes) {
            long dram = s.dram().toBlocks(trace.uniqueBlocks(), blockBytes);
            long nvme = s.nvme().toBlocks(trace.uniqueBlocks(), blockBytes);
            for (String p : nvmePolicies) {
                DoubleConsumer part = parts[runs.size()];
                runs.add(() -> replay(trace, s, dram, nvme, dramPolicy, p, blockBytes, seed, part));
            }
        }
        return Parallel.run(runs, threads, "flash-sweep");
    }

    private static Row replay(Trace trace, Sizes s, long dram, long nvme, String dramPolicy, String nvmePolicy,
                              long blockBytes, long seed, DoubleConsumer progress) {
        List<LevelConfig> levels = new ArrayList<>();
        levels.add(new LevelConfig("dram", dramPolicy, dram));
        boolean flash = !nvmePolicy.equals("none");
        if (flash) {
            levels.add(new LevelConfig("nvme", nvmePolicy, nvme));
        }
        ReplayResult r = new Replayer(trace).progress(progress).run(levels, null, false, seed);
        progress.accept(1);
        return new Row(s.text(), dram, flash ? nvme : 0, r.policies().get(0), flash ? r.policies().get(1) : "none",
                r.hitRatioBlocks(), r.hitRatioTokens(), r.hitBlocks(), r.hitsPerTier()[0],
                flash ? r.hitsPerTier()[1] : 0, flash ? r.writtenBlocks()[1] + r.relocatedBlocks()[1] : 0,
                flash ? r.rewrittenBlocks()[1] : 0, flash ? r.partialWrittenBlocks()[1] : 0,
                flash ? r.relocatedBlocks()[1] : 0, blockBytes, r.evictions(), r.nanos() / 1e9);
    }

    /**
     * The policy a filtered NVMe policy filters ({@code admit2:fifo} and {@code tinylfu-fifo}: fifo; and
     * {@code fifo-reinsert} is compared with fifo), or null.
     */
    static String unfiltered(String policy) {
        int colon = policy.indexOf(':');
        if (colon > 0) {
            return policy.substring(colon + 1);
        }
        if (policy.equals("fifo-reinsert")) {
            return "fifo";
        }
        return policy.startsWith("tinylfu-") ? policy.substring("tinylfu-".length()) : null;
    }

    /**
     * A text table per size pair: hit ratios, hits per tier, flash blocks and GiB written, writes per hit byte, and
     * for a filtered policy its difference from the same policy unfiltered (if it ran): hit ratio in points and
     * flash bytes as a fraction.
     */
    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        String sizes = null;
        for (Row r : rows) {
            if (!r.sizes().equals(sizes)) {
                sizes = r.sizes();
                sb.append(String.format(Locale.ROOT, "%nDRAM/NVMe %s: DRAM %d blocks (%s), NVMe %d blocks, %d bytes "
                                + "per block%n", sizes, r.dramBlocks(), r.dramPolicy(), nvmeBlocks(rows, sizes),
                        r.blockBytes()));
                sb.append(String.format(Locale.ROOT, "%-28s %8s %8s %10s %10s %10s %9s %9s %9s %8s %8s %8s %7s%n",
                        "nvme policy", "hit(blk)", "hit(tok)", "dram hits", "nvme hits", "flash blk", "flash GiB",
                        "re-demote", "relocated", "wr/hit", "dHit pt", "dFlash", "sec"));
            }
            Row base = baseline(rows, r);
            sb.append(String.format(Locale.ROOT, "%-28s %8.4f %8.4f %10d %10d %10d %9.1f %9d %9d %8.3f %8s %8s %7.1f%n",
                    r.nvmePolicy(), r.hitRatioBlocks(), r.hitRatioTokens(), r.dramHits(), r.nvmeHits(),
                    r.flashBlocks(), r.flashBytes() / (double) (1L << 30), r.rewrittenBlocks(), r.relocatedBlocks(),
                    r.flashPerHitByte(),
                    base == null ? "-" : String.format(Locale.ROOT, "%+.2f", 100 * (r.hitRatioBlocks()
                            - base.hitRatioBlocks())),
                    base == null || base.flashBlocks() == 0 ? "-" : String.format(Locale.ROOT, "%+.0f%%",
                            100.0 * (r.flashBlocks() - base.flashBlocks()) / base.flashBlocks()),
                    r.seconds()));
        }
        return sb.toString();
    }

    private static long nvmeBlocks(List<Row> rows, String sizes) {
        return rows.stream().filter(r -> r.sizes().equals(sizes)).mapToLong(Row::nvmeBlocks).max().orElse(0);
    }

    private static Row baseline(List<Row> rows, Row r) {
        String inner = unfiltered(r.nvmePolicy());
        if (inner == null) {
            return null;
        }
        return rows.stream().filter(o -> o.sizes().equals(r.sizes()) && o.nvmePolicy().equals(inner)).findFirst()
                .orElse(null);
    }

    /** Writes the rows as a JSON array. */
    public static void json(String traceName, List<Row> rows, Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("trace", traceName);
            m.put("dram_nvme", r.sizes());
            m.put("dram_blocks", r.dramBlocks());
            m.put("nvme_blocks", r.nvmeBlocks());
            m.put("dram_policy", r.dramPolicy());
            m.put("nvme_policy", r.nvmePolicy());
            m.put("hit_ratio_blocks", r.hitRatioBlocks());
            m.put("hit_ratio_tokens", r.hitRatioTokens());
            m.put("hit_blocks", r.hitBlocks());
            m.put("dram_hit_blocks", r.dramHits());
            m.put("nvme_hit_blocks", r.nvmeHits());
            m.put("flash_written_blocks", r.flashBlocks());
            m.put("flash_written_bytes", r.flashBytes());
            m.put("flash_rewritten_blocks", r.rewrittenBlocks());
            m.put("flash_partial_blocks", r.partialBlocks());
            m.put("flash_relocated_blocks", r.relocatedBlocks());
            m.put("flash_per_hit_byte", Double.isNaN(r.flashPerHitByte()) ? null : r.flashPerHitByte());
            m.put("flash_per_nvme_hit_byte", Double.isNaN(r.flashPerNvmeHitByte()) ? null : r.flashPerNvmeHitByte());
            m.put("block_bytes", r.blockBytes());
            m.put("evictions", r.evictions());
            m.put("seconds", r.seconds());
            out.add(m);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), out);
    }
}
