package io.kvstore.bench.tiers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code kvstore bench tiers}: how fast are this machine's tiers? Runs each {@link TierBenchmark} section (short
 * JMH runs by default; {@code --full} for every size and 1 and 2 threads) and prints a table; {@code --json FILE}
 * writes every section's fields into one JSON object (at least {@code dram_put_gbps}, {@code dram_get_gbps} and
 * {@code memcpy_gbps} for 2 MiB blocks).
 */
@Command(name = "tiers", mixinStandardHelpOptions = true,
        description = "Measure the tiers' data path (JMH) against a plain memory copy on this machine.")
public final class TiersCommand implements Callable<Integer> {

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    File json;

    @Option(names = "--full", description = "Every size (256 KiB, 2 MiB, 32 MiB) with 1 and 2 threads, longer runs.")
    boolean full;

    @Option(names = "--only", split = ",", paramLabel = "SECTION", description = "Run only these sections (e.g. dram).")
    List<String> only;

    @Option(names = "--forks", description = "JMH forks per benchmark (default: 1; 3 with --full).")
    Integer forks;

    @Option(names = "--iterations", description = "Measured iterations per fork (default: 3; 5 with --full).")
    Integer iterations;

    @Option(names = "--iteration-ms", description = "Milliseconds per iteration (default: 500; 1000 with --full).")
    Integer iterationMillis;

    @Option(names = "--verbose", description = "Show JMH's own output.")
    boolean verbose;

    @Option(names = "--dram-arena", paramLabel = "shm|private", description = "The DRAM tier's arena: shm (files in "
            + "/dev/shm, the daemon's default, survives a restart) or private (dramPersist=false). Default: shm.")
    String dramArena = "shm";

    /** The sections, in report order. A new tier adds one line here. */
    static List<TierBenchmark> sections() {
        List<TierBenchmark> s = new ArrayList<>();
        s.add(new DramSection());
        s.add(new HbmSection());
        s.add(new NvmeSection());
        return s;
    }

    TierBenchSettings settings() {
        List<Integer> sizes = full ? List.of(256 * 1024, 2 * 1024 * 1024, 32 * 1024 * 1024)
                : List.of(TierBenchSettings.HEADLINE_SIZE);
        List<Integer> threads = full ? List.of(1, 2) : List.of(1);
        // the short run still warms up for 2 s: Chronicle Map's paths need C2, and on a busy machine it is slow
        return new TierBenchSettings(sizes, threads, forks != null ? forks : full ? 3 : 1, full ? 2 : 4,
                iterations != null ? iterations : full ? 5 : 3,
                iterationMillis != null ? iterationMillis : full ? 1000 : 500, verbose, dramArena);
    }

    @Override
    public Integer call() throws Exception {
        TierBenchSettings s = settings();
        PrintStream out = System.out;
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        report.put("cpus", Runtime.getRuntime().availableProcessors());
        report.put("settings", s);
        for (TierBenchmark section : sections()) {
            if (only != null && !only.contains(section.name())) {
                continue;
            }
            out.println("== " + section.name());
            report.putAll(section.run(s, out));
        }
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json, report);
            out.println("wrote " + json);
        }
        return 0;
    }
}
