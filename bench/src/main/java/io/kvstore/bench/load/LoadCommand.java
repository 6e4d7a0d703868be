package io.kvstore.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kvstore.core.progress.Progress;
import io.kvstore.bench.net.LoopbackBaseline;
import io.kvstore.bench.nvme.RawDisk;
import io.kvstore.client.ClientOptions;
import io.kvstore.server.config.Sizes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code kvstore bench load}: the steady state, measured. A real daemon in its own JVM with tiers sized so the
 * workload's working set overflows DRAM into NVMe ("full"), and the same workload on a daemon whose DRAM holds
 * it ("roomy"); {@code --connections} engine connections replaying the synthetic agent workload or real Claude
 * Code sessions, plus a prober timing LOOKUP at a fixed rate; client- and server-side latencies, throughput,
 * bytes per tier and to disk; and in the same run the limits (raw O_DIRECT disk, loopback TCP). docs/bench-load.md.
 */
@Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Steady-state load on a real daemon whose DRAM overflows into NVMe (full) vs one whose DRAM "
                + "holds the working set (roomy), with the disk and loopback limits of the same run.")
public final class LoadCommand implements Callable<Integer> {

    static final List<String> OPS = List.of("LOOKUP", "GET", "PUT");

    @Option(names = "--workload", description = "agent (synthetic, bench net's), writes (new blocks only: PUT "
            + "bandwidth into full tiers) or weka (real Claude Code sessions) "
            + "(default ${DEFAULT-VALUE}).")
    String workload = "agent";

    @Option(names = "--trace", description = "Directory of kv-cache-tester sessions for --workload weka "
            + "(default ${DEFAULT-VALUE}, relative to the working directory; docs/traces.md says how to fetch them).")
    Path trace = Path.of("traces", "weka-claude-code");

    @Option(names = "--seconds", description = "Measured seconds per configuration and run (default ${DEFAULT-VALUE}).")
    double seconds = 40;

    @Option(names = "--warmup-seconds", description = "Uncounted seconds of the workload first, so that the full "
            + "daemon's NVMe tier is full too when the measurement starts (default ${DEFAULT-VALUE}).")
    double warmupSeconds = 20;

    @Option(names = "--warmup-turns", description = "The full daemon's warm-up also lasts until this many turns "
            + "are done (default ${DEFAULT-VALUE}: time only), to compare builds of different speeds after the same "
            + "work.")
    long warmupTurns = 0;

    @Option(names = "--roomy-warmup-seconds", description = "The same for the roomy daemon, whose NVMe stays empty: "
            + "shorter, so that the dead blocks of the run still fit its DRAM (default ${DEFAULT-VALUE}).")
    double roomyWarmupSeconds = 5;

    @Option(names = "--roomy-jit-seconds", description = "Uncounted seconds of the workload against the roomy "
            + "daemon before its warm-up, after which every block is evicted (POST /v1/evict): its JIT compiler "
            + "then has done about as much as the full daemon's by the time each is measured, while its DRAM still "
            + "starts empty (default: --warmup-seconds minus --roomy-warmup-seconds).")
    Double roomyJitSeconds;

    @Option(names = "--runs", description = "Repetitions; medians are reported (default ${DEFAULT-VALUE}).")
    int runs = 3;

    @Option(names = "--connections", description = "Engine connections (default ${DEFAULT-VALUE}).")
    int connections = 8;

    @Option(names = "--block-size", description = "Bytes of a block (weka: of a full 64-token block; a partial one "
            + "is smaller) (default 512KiB for agent, 32KiB for weka).")
    String blockSize;

    @Option(names = "--full-dram", description = "DRAM tier of the full configuration (default ${DEFAULT-VALUE}).")
    String fullDram = "128MiB";

    @Option(names = "--nvme", description = "NVMe tier of both configurations (default ${DEFAULT-VALUE}).")
    String nvme = "1GiB";

    @Option(names = "--roomy-dram", description = "DRAM tier of the roomy configuration (default: 4 x the "
            + "workload's live set, at least 256MiB, at most a third of the available memory).")
    String roomyDram;

    @Option(names = "--probe-rate", description = "Prober LOOKUPs per second (default ${DEFAULT-VALUE}).")
    double probeRate = 200;

    @Option(names = "--transport", description = "tcp or uds: the engine connections and the prober reach each "
            + "daemon over loopback TCP or over its Unix domain socket (dataSocket); uds also measures the Unix-socket "
            + "limit (default ${DEFAULT-VALUE}).")
    String transport = "tcp";

    @Option(names = "--jfr", description = "Record the daemon with JFR and summarize where its threads parked.")
    boolean jfr;

    @Option(names = "--jfr-threshold", description = "JFR threshold of jdk.ThreadPark and jdk.JavaMonitorEnter "
            + "(default '${DEFAULT-VALUE}': every wait, so that waits add up).")
    String jfrThreshold = "0 ms";

    @Option(names = "--out", description = "Directory for the SVG, JFR files and daemon logs (default "
            + "${DEFAULT-VALUE}).")
    Path out = Path.of("target", "bench-load");

    @Option(names = "--json", description = "Write the results as JSON to this file.")
    Path json;

    @Option(names = "--keep-daemon-logs", description = "Keep each daemon's log in --out (default: only a failed one).")
    boolean keepDaemonLogs;

    @Option(names = "--daemon-heap", description = "The daemon's -Xmx (default ${DEFAULT-VALUE}).")
    String daemonHeap = "1g";

    @Option(names = "--shared-memory", description = "Same-host shared memory for every connection: the daemons' DRAM "
            + "arena in /dev/shm (dramSharedMemoryDir), PUT copied into it (SHM_PUT) and DRAM hits read from it "
            + "(SHM_GET) instead of crossing the socket. Default: off (TCP only).")
    boolean sharedMemory;

    @Option(names = "--daemon-set", description = "A setting for both daemons, NAME=VALUE (repeatable), e.g. "
            + "putBlocksInFlight=4.")
    List<String> daemonSettings = new ArrayList<>();

    @Option(names = "--daemon-jvm", description = "An extra JVM option for both daemons (repeatable), e.g. "
            + "-XX:+UseZGC or -Xlog:gc:file=gc.log.")
    List<String> daemonJvmOptions = new ArrayList<>();

    @Option(names = "--daemon-classpath", description = "Run the daemons from another build's class path (A/B "
            + "against an older commit: its kvstore-server/target/classes and target/lib/*); default this build's. "
            + "Such a daemon is not given dramPersist=false, which older builds do not know.")
    String daemonClasspath;

    @Option(names = "--data-root", description = "Where the daemons' data directories and the raw-disk file go "
            + "(default: the temporary directory).")
    Path dataRoot;

    @Option(names = "--raw-disk-bytes", description = "Bytes of the raw O_DIRECT disk test file (default "
            + "${DEFAULT-VALUE}).")
    String rawDiskBytes = "512MiB";

    @Option(names = "--loopback-seconds", description = "Seconds of the loopback TCP measurement (default "
            + "${DEFAULT-VALUE}).")
    double loopbackSeconds = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** A configuration of the daemon: its name and DRAM bytes. */
    record Config(String name, long dramBytes) {
    }

    private long nvmeBytes;

    @Override
    public Integer call() throws Exception {
        Workload w;
        List<Config> configs;
        long rawBytes;
        try {
            w = validate();
            nvmeBytes = Sizes.parse(nvme);
            rawBytes = Sizes.parse(rawDiskBytes);
            long full = Sizes.parse(fullDram);
            long roomy = roomyDram != null ? Sizes.parse(roomyDram)
                    : roomyFor(w.liveBytes(connections), availableMemory());
            configs = List.of(new Config("full", full), new Config("roomy", roomy));
        } catch (IllegalArgumentException | IOException e) {
            spec.commandLine().getErr().println("bench load: " + e.getMessage()); // one line, no usage dump
            spec.commandLine().getErr().flush();
            return 2;
        }
        Files.createDirectories(out);
        Path root = dataRoot != null ? Files.createDirectories(dataRoot)
                : Path.of(System.getProperty("java.io.tmpdir"));
        int block = blockBytes();
        System.err.printf("bench load: %s; %d " + transport + " connections, %d runs of %.0f s per configuration (after %.0f s of "
                        + "warm-up, roomy %.0f s after %.0f s of JIT warm-up), prober %.0f LOOKUP/s; full: DRAM %s, roomy: "
                        + "DRAM %s, NVMe %s; live set %s%n", w.describe(), connections, runs, seconds, warmupSeconds,
                roomyWarmupSeconds, roomyJitSeconds(), probeRate,
                Sizes.format(configs.get(0).dramBytes()), Sizes.format(configs.get(1).dramBytes()),
                Sizes.format(nvmeBytes), (w.liveBytes(connections) >> 20) + "MiB");
        String loadBefore = loadAverage();
        Instant started = Instant.now();
        List<Map<String, Object>> perRun = new ArrayList<>();
        Map<String, Map<String, List<Double>>> firstRunSeries = new LinkedHashMap<>();
        Progress progress = Progress.stderr("bench load");
        for (int run = 0; run < runs; run++) {
            Map<String, Object> r = new LinkedHashMap<>();
            progress.phase(String.format(Locale.ROOT, "run %d/%d: the limits (raw disk write and read of %s, "
                    + "loopback TCP%s for %.1f s)", run + 1, runs, Sizes.format(rawBytes),
                    "uds".equals(transport) ? " and Unix socket" : "", loopbackSeconds));
            r.put("limits", limits(root, block, rawBytes));
            for (Config c : configs) {
                String label = String.format(Locale.ROOT, "run %d/%d %s", run + 1, runs, c.name());
                Map<String, Object> figures = measure(root, w, c, run, run == 0 ? firstRunSeries : null, progress,
                        label);
                progress.end();
                r.put(c.name(), figures);
                System.err.printf("run %d/%d %s: %.1f turns/s, LOOKUP p99 %s us (prober), GET p99 %s us, PUT p99 %s us,"
                                + " errors %s%n", run + 1, runs, c.name(), Report.at(figures, "turns_per_s"),
                        Report.fmt(Report.at(figures, "client.probe_lookup.p99_us")),
                        Report.fmt(Report.at(figures, "client.get.p99_us")),
                        Report.fmt(Report.at(figures, "client.put.p99_us")),
                        Report.fmt(Report.at(figures, "errors")));
            }
            r.put("ratios", LoadFigures.ratios(r));
            double spilled = Report.at(r, "roomy.tiers.dram.demoted_out") + Report.at(r, "roomy.tiers.dram.evictions");
            r.put("roomy_overflowed", spilled > 0);
            if (spilled > 0) {
                System.err.printf("bench load: run %d: the roomy DRAM demoted or evicted %.0f blocks: it did not hold "
                        + "everything (a larger --roomy-dram would)%n", run + 1, spilled);
            }
            perRun.add(r);
        }
        Map<String, Object> median = Report.medianOf(perRun);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("workload", w.describe());
        result.put("workload_name", workload);
        result.put("connections", connections);
        result.put("transport", transport);
        result.put("block_bytes", block);
        result.put("seconds", seconds);
        result.put("warmup_seconds", warmupSeconds);
        result.put("warmup_turns", warmupTurns);
        result.put("roomy_warmup_seconds", roomyWarmupSeconds);
        result.put("roomy_jit_seconds", roomyJitSeconds());
        result.put("runs", runs);
        result.put("probe_rate", probeRate);
        result.put("live_set_bytes", w.liveBytes(connections));
        result.put("nvme_bytes", nvmeBytes);
        result.put("full_dram_bytes", configs.get(0).dramBytes());
        result.put("roomy_dram_bytes", configs.get(1).dramBytes());
        result.put("started", started.toString());
        result.put("finished", Instant.now().toString());
        result.put("load_average_before", loadBefore);
        result.put("load_average_after", loadAverage());
        result.put("cpus", Runtime.getRuntime().availableProcessors());
        result.put("roomy_overflowed_runs", perRun.stream().filter(r -> Boolean.TRUE.equals(r.get("roomy_overflowed")))
                .count());
        result.put("median", median);
        result.put("per_run", perRun);
        Path svg = out.resolve("latency-" + workload + ".svg");
        Map<String, Map<String, List<Double>>> panels = new LinkedHashMap<>();
        for (String op : List.of("LOOKUP (prober)", "GET", "PUT")) {
            panels.put(op + ": client p99 per second", firstRunSeries.getOrDefault(op, Map.of()));
        }
        Files.writeString(svg, LatencySvg.render(String.format(Locale.ROOT,
                "bench load, %s, %d connections, blocks of %s: run 1 of %d", workload, connections,
                Sizes.format(block), runs), panels));
        result.put("svg", svg.toString());
        System.out.println(LoadFigures.table(median));
        System.out.printf("load average %s before, %s after; %d CPUs%n", loadBefore, result.get("load_average_after"),
                Runtime.getRuntime().availableProcessors());
        System.out.println("latency over time: " + svg);
        if (json != null) {
            Files.writeString(json, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(result));
            System.out.println("json: " + json);
        }
        return 0;
    }

    /** Checks the options; the workload they describe. */
    Workload validate() throws IOException {
        if (!(seconds > 0) || seconds > 86_400) {
            throw new IllegalArgumentException("--seconds must be > 0 (and at most a day), was " + seconds);
        }
        for (String d : daemonSettings) {
            if (!d.matches("[A-Za-z][A-Za-z0-9]*=.*")) {
                throw new IllegalArgumentException("--daemon-set must be NAME=VALUE, was '" + d + "'");
            }
        }
        for (String o : daemonJvmOptions) {
            if (!o.startsWith("-X") || o.startsWith("-Xmx")) {
                throw new IllegalArgumentException("--daemon-jvm must be a -X or -XX JVM option (the heap is "
                        + "--daemon-heap), was '" + o + "'");
            }
        }
        if (warmupTurns < 0) {
            throw new IllegalArgumentException("--warmup-turns must be >= 0, was " + warmupTurns);
        }
        if (roomyJitSeconds != null && !(roomyJitSeconds >= 0)) {
            throw new IllegalArgumentException("--roomy-jit-seconds must be >= 0, was " + roomyJitSeconds);
        }
        if (!(warmupSeconds >= 0) || !(roomyWarmupSeconds >= 0)) {
            throw new IllegalArgumentException("--warmup-seconds and --roomy-warmup-seconds must be >= 0, were "
                    + warmupSeconds + " and " + roomyWarmupSeconds);
        }
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be >= 1, was " + runs);
        }
        if (connections < 1 || connections > 1024) {
            throw new IllegalArgumentException("--connections must be 1..1024, was " + connections);
        }
        if (!(probeRate > 0) || probeRate > 100_000) {
            throw new IllegalArgumentException("--probe-rate must be > 0 and <= 100000, was " + probeRate);
        }
        if (!List.of("tcp", "uds").contains(transport)) {
            throw new IllegalArgumentException("--transport must be tcp or uds, was '" + transport + "'");
        }
        if (!(loopbackSeconds > 0)) {
            throw new IllegalArgumentException("--loopback-seconds must be > 0, was " + loopbackSeconds);
        }
        if (!daemonHeap.matches("\\d+[kKmMgG]?")) {
            throw new IllegalArgumentException("--daemon-heap must be a -Xmx value such as 1g, was '" + daemonHeap
                    + "'");
        }
        long b = blockBytes();
        if (b < 1 || b > 64L << 20) {
            throw new IllegalArgumentException("--block-size must be 1 byte .. 64MiB, was " + blockSize);
        }
        if (Sizes.parse(fullDram) < 1) {
            throw new IllegalArgumentException("--full-dram must be > 0, was " + fullDram);
        }
        return switch (workload) {
            case "agent" -> new Workload.Agent((int) b);
            case "writes" -> new Workload.Writes((int) b);
            case "weka" -> {
                if (!Files.isDirectory(trace)) {
                    throw new IllegalArgumentException("--trace " + trace.toAbsolutePath()
                            + " is not a directory: fetch the kv-cache-tester sessions into it (docs/traces.md)"
                            + " or point --trace at them");
                }
                yield Workload.Weka.read(trace, (int) b, 4096);
            }
            default -> throw new IllegalArgumentException("--workload must be agent, weka or writes, was '" + workload + "'");
        };
    }

    private int blockBytes() {
        return (int) Math.min(Integer.MAX_VALUE,
                Sizes.parse(blockSize != null ? blockSize : workload.equals("weka") ? "32KiB" : "512KiB"));
    }

    /** Seconds of the roomy daemon's JIT warm-up: the option, or what the full daemon's warm-up has more. */
    double roomyJitSeconds() {
        return roomyJitSeconds != null ? roomyJitSeconds : Math.max(0, warmupSeconds - roomyWarmupSeconds);
    }

    /**
     * DRAM that holds a live set of {@code live} bytes and the dead blocks of about three more passes (sessions
     * start over with new blocks, so the bytes PUT grow with time while the live set does not): 4 x live, at
     * least 256 MiB, at most {@code available / 3}, in whole 64 MiB.
     */
    static long roomyFor(long live, long available) {
        long b = Math.max(256L << 20, Math.min(4 * live, available / 3));
        long unit = 64L << 20;
        return (b + unit - 1) / unit * unit;
    }

    /** The first three fields of /proc/loadavg (1, 5, 15 minutes), or "" where unknown. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** MemAvailable of /proc/meminfo in bytes (Long.MAX_VALUE where unknown). */
    static long availableMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
        return Long.MAX_VALUE;
    }

    /**
     * The limits of this run: raw O_DIRECT sequential write and read on the data filesystem, one I/O at a time, in
     * 2 MiB blocks and in the workload's block size, and the write again from distinct memory; loopback TCP.
     */
    private Map<String, Object> limits(Path root, int block, long rawBytes) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        int rawBlock = 2 << 20;
        long blocks = Math.max(1, rawBytes / rawBlock);
        Path dir = Files.createTempDirectory(root, "kvstore-bench-load-raw");
        try {
            RawDisk disk = new RawDisk(dir.resolve("raw"), rawBlock, blocks);
            double w = disk.write();
            double r = disk.read(false, 1);
            m.put("raw_direct_io", disk.direct);
            m.put("raw_block_bytes", rawBlock);
            m.put("raw_bytes", blocks * rawBlock);
            m.put("raw_write_MBps", blocks * rawBlock / w / 1e6);
            m.put("raw_read_MBps", blocks * rawBlock / r / 1e6);
            // the same at the workload's block size (the size of the daemon's own writes and reads), unless it is
            // the size just measured
            if (block == rawBlock) {
                m.put("raw_write_block_MBps", m.get("raw_write_MBps"));
                m.put("raw_read_block_MBps", m.get("raw_read_MBps"));
            } else {
                long n = Math.max(1, rawBytes / block);
                RawDisk same = new RawDisk(dir.resolve("raw-block"), block, n);
                m.put("raw_write_block_MBps", n * block / same.write() / 1e6);
                m.put("raw_read_block_MBps", n * block / same.read(false, 1) / 1e6);
            }
            // the same bytes from distinct memory, in the workload's block size: what a store's own writes are
            long n = Math.max(1, Math.min(rawBytes, 1L << 30) / block);
            m.put("raw_write_block_distinct_MBps",
                    n * block / new RawDisk(dir.resolve("raw-distinct"), block, n).writeFromDistinctMemory() / 1e6);
        } finally {
            deleteTree(dir);
        }
        m.put("loopback_MBps", LoopbackBaseline.run(connections, block, (long) (loopbackSeconds * 1000)) / 1e6);
        if ("uds".equals(transport)) { // the limit of the transport the run uses
            m.put("uds_MBps", LoopbackBaseline.run(true, connections, block, (long) (loopbackSeconds * 1000)) / 1e6);
        }
        return m;
    }

    /** One configuration of one run: a daemon, the load, its figures. */
    private Map<String, Object> measure(Path root, Workload w, Config c, int run,
                                        Map<String, Map<String, List<Double>>> series, Progress progress,
                                        String label) throws Exception {
        Path data = Files.createTempDirectory(root, "kvstore-bench-load-" + c.name());
        Path log = out.resolve(String.format("daemon-%s-%s-run%d.log", workload, c.name(), run + 1));
        List<String> jvm = new ArrayList<>(List.of("-Xmx" + daemonHeap,
                "-XX:MaxDirectMemorySize=" + (c.dramBytes() + (1L << 30))));
        jvm.addAll(daemonJvmOptions);
        Path jfrFile = null;
        if (jfr) {
            jfrFile = out.resolve(String.format("daemon-%s-%s-run%d.jfr", workload, c.name(), run + 1));
            Path settings = ParkSummary.settings(out.resolve("locks.jfc"), jfrThreshold);
            jvm.add("-XX:StartFlightRecording=filename=" + jfrFile + ",dumponexit=true,settings=" + settings);
        }
        // DRAM in private memory: each daemon starts empty, and nothing is left in /dev/shm after it
        List<String> set = new ArrayList<>(List.of("hbmCapacityBytes=0", "dramCapacityBytes=" + c.dramBytes(),
                "nvmeCapacityBytes=" + nvmeBytes));
        Path socket = data.resolve("kv.sock");
        if ("uds".equals(transport)) {
            set.add("dataSocket=" + socket);
        }
        Path shm = null;
        if (sharedMemory) { // the arena in tmpfs, deleted with the run
            shm = Files.createTempDirectory(Path.of("/dev/shm"), "kvstore-bench-load-");
            set.add("dramSharedMemoryDir=" + shm);
        } else if (daemonClasspath == null) {
            set.add("dramPersist=false");
        }
        set.addAll(daemonSettings);
        String cp = daemonClasspath == null ? System.getProperty("java.class.path") : daemonClasspath;
        boolean ok = false;
        progress.phase(label + ": starting the daemon (DRAM " + Sizes.format(c.dramBytes()) + ")");
        try (Daemon d = Daemon.start(data.resolve("data"), log, jvm, set, cp)) {
            LoadRun load = new LoadRun(clientOptions(d.port).withSharedMemory(sharedMemory)
                    .withSocketPath("uds".equals(transport) ? socket : null), w, connections, probeRate);
            double jit = c.name().equals("roomy") ? roomyJitSeconds() : 0;
            if (jit > 0) { // the roomy daemon's JIT warm-up: a run of its own, discarded, then an empty store
                load.run(d, jit, 0, 1, progress, label + " (JIT warm-up, then every block evicted)");
                d.evictAll();
            }
            LoadRun.Result r = load.run(d, c.name().equals("roomy") ? roomyWarmupSeconds : warmupSeconds,
                    c.name().equals("roomy") ? 0 : warmupTurns, seconds, progress, label);
            d.stop();
            Map<String, Object> f = LoadFigures.of(c, r);
            Map<String, Object> threads = new LinkedHashMap<>();
            for (String g : List.of("event-loop", "blocking", "other")) {
                threads.put(g, r.threadNames().stream().filter(t -> ParkSummary.group(t).equals(g)).count());
            }
            f.put("daemon_threads", threads);
            if (jfrFile != null) {
                int serverThreads = (int) ((long) threads.get("event-loop") + (long) threads.get("blocking"));
                f.put("jfr", ParkSummary.read(jfrFile, r.from(), r.to(), serverThreads));
            }
            if (series != null) {
                int n = Math.max(1, (int) Math.round(r.seconds()));
                series.computeIfAbsent("LOOKUP (prober)", k -> new LinkedHashMap<>()).put(c.name(),
                        r.probe().perSecond(99, n));
                series.computeIfAbsent("GET", k -> new LinkedHashMap<>()).put(c.name(), r.get().perSecond(99, n));
                series.computeIfAbsent("PUT", k -> new LinkedHashMap<>()).put(c.name(), r.put().perSecond(99, n));
            }
            ok = r.errors() == 0; // a run with errors keeps its log: the thread dump of its first timeout is there
            return f;
        } finally {
            deleteTree(data);
            if (shm != null) {
                deleteTree(shm);
            }
            if (ok && !keepDaemonLogs) {
                Files.deleteIfExists(log);
            } else if (!ok) {
                System.err.println("bench load: daemon log kept in " + log);
            }
        }
    }

    /**
     * The engines' and the prober's client: as bench net's (TCP, 8-block stream window, direct LOOKUPs); the
     * caller sets the socket path with {@code --transport uds}.
     */
    static ClientOptions clientOptions(int port) {
        return ClientOptions.of("127.0.0.1", port).withSharedMemory(false).withStreamWindow(8);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
