package io.kvstore.bench.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kvstore.client.ClientOptions;
import io.kvstore.core.key.BlockKey;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.config.Sizes;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code kvstore bench net}: the network load generator.
 *
 * <ul>
 *   <li>default: GET throughput (N connections, values of a fixed size from the DRAM tier) and LOOKUP latency
 *       of a 128-block prefix, against an in-process server on a loopback port (or {@code --port} of a running
 *       one), plus the synthetic agent workload with {@code --agent-seconds > 0};</li>
 *   <li>{@code --vs-redis}: the same values served by a Debian redis-server (persistence off, loopback) and the
 *       raw loopback TCP throughput, in the same run, alternating, {@code --runs} times; medians reported.</li>
 * </ul>
 * With the in-process server, also same-host shared-memory GETs ({@code kvstore_shm_get_gbps}: views of the
 * mapped arena, CRC-checked by the client; {@code kvstore_shm_get_copy_gbps}: plus a copy into the consumer's
 * buffer), each next to its like on as many threads over the same values: the same CRC32C read pass in one
 * process ({@code read_pass_gbps}) and a plain off-heap memory copy ({@code memcpy_gbps}).
 * {@code --transport uds}: the clients reach the server over its Unix domain socket ({@code dataSocket}) instead of
 * loopback TCP, and {@code --vs-redis} also measures the raw Unix-socket throughput ({@code uds_gbps},
 * {@code kvstore_vs_uds}: the limit of that transport).
 * {@code --json FILE} writes the figures (at least kvstore_get_gbps, redis_get_gbps, loopback_gbps,
 * lookup_p99_us).
 */
@Command(name = "net", mixinStandardHelpOptions = true,
        description = "Network load generator: GET throughput vs Redis and raw loopback, LOOKUP latency, agent replay.")
public final class NetCommand implements Callable<Integer> {

    @Option(names = "--vs-redis", description = "Also measure redis-server and raw loopback TCP in the same run.")
    boolean vsRedis;

    @Option(names = "--redis-io-threads", description = "redis-server's io-threads (default 0 = as many as the "
            + "daemon's event loops: its ioThreads, one per core when 0; 1 = Redis's single thread).")
    int redisIoThreads;

    @Option(names = "--json", description = "Write the results as JSON to this file.")
    Path json;

    @Option(names = "--connections", description = "Client connections (default ${DEFAULT-VALUE}).")
    int connections = 4;

    @Option(names = "--value-size", description = "Bytes per value/block (default ${DEFAULT-VALUE}).")
    String valueSize = "1MiB";

    @Option(names = "--values", description = "Distinct values stored (default 0 = enough for twice the CPU's "
            + "last-level cache, at least 64, so that throughputs measure memory, not the cache).")
    int values;

    @Option(names = "--depth", description = "Values per GET request (Redis: pipelined GETs) (default ${DEFAULT-VALUE}).")
    int depth = 4;

    @Option(names = "--seconds", description = "Seconds per throughput measurement (default ${DEFAULT-VALUE}).")
    double seconds = 3;

    @Option(names = "--warmup-seconds", description = "Uncounted kvstore GET warm-up (default ${DEFAULT-VALUE}).")
    double warmupSeconds = 5;

    @Option(names = "--runs", description = "Repetitions; medians are reported (default ${DEFAULT-VALUE}).")
    int runs = 3;

    @Option(names = "--lookup-blocks", description = "Blocks in the looked-up prefix (default ${DEFAULT-VALUE}).")
    int lookupBlocks = 128;

    @Option(names = "--lookup-samples", description = "LOOKUPs timed per run (default ${DEFAULT-VALUE}).")
    int lookupSamples = 20000;

    @Option(names = "--spin-wait-us", description = "Client option spinWait: microseconds a blocking call spins "
            + "before it parks (default ${DEFAULT-VALUE}).")
    long spinWaitMicros = 50;

    @Option(names = "--no-direct-calls", description = "Client option directCalls off: blocking LOOKUPs go through "
            + "the client's event loop instead of the caller's own socket.")
    boolean noDirectCalls;

    @Option(names = "--kv-events", description = "Measure only what publishing KV events costs: PUT, GET and LOOKUP "
            + "throughput of two in-process daemons, events off and on, alternately (docs/events.md).")
    boolean kvEvents;

    @Option(names = "--lookup-only", description = "Measure only the LOOKUP latency (no GET throughput, Redis, "
            + "loopback or shared-memory runs).")
    boolean lookupOnly;

    @Option(names = "--agent-seconds", description = "Seconds of synthetic agent workload (0 = skip; default ${DEFAULT-VALUE}).")
    double agentSeconds = 5;

    @Option(names = "--agent-block-size", description = "Block size of the agent workload (default ${DEFAULT-VALUE}).")
    String agentBlockSize = "256KiB";

    @Option(names = "--host", description = "Server host when --port is given (default ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Use a running server on this port instead of starting one.")
    Integer port;

    @Option(names = "--transport", description = "tcp or uds: the clients use the server's Unix domain socket "
            + "(dataSocket) (default ${DEFAULT-VALUE}).")
    String transport = "tcp";

    @Option(names = "--socket", description = "With --port and --transport uds: the running server's data socket.")
    Path socket;

    /** The in-process server's shared-memory arena: on tmpfs (/dev/shm) when there is one. */
    private Path shmDir(Path dataDir) throws java.io.IOException {
        Path devShm = Path.of("/dev/shm");
        shmRoot = Files.isDirectory(devShm) && Files.isWritable(devShm)
                ? Files.createTempDirectory(devShm, "kvstore-bench-shm") : dataDir.resolve("shm");
        return shmRoot.resolve("dram");
    }

    /** Deletes the arena files: on tmpfs they hold memory until deleted. */
    private void deleteShm() throws java.io.IOException {
        if (shmRoot == null || !Files.exists(shmRoot)) {
            return;
        }
        try (var paths = Files.walk(shmRoot)) {
            for (Path q : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }

    private Path shmRoot;

    @Override
    public Integer call() throws Exception {
        if (!List.of("tcp", "uds").contains(transport) || (port != null && "uds".equals(transport) && socket == null)) {
            System.err.println("bench net: --transport must be tcp or uds (with --port, uds needs --socket PATH), was '"
                    + transport + "'");
            return 2;
        }
        boolean uds = "uds".equals(transport);
        int valueBytes = (int) Sizes.parse(valueSize);
        if (kvEvents) {
            Map<String, Object> r = new EventsCost(connections, valueBytes, (long) (seconds * 1000), runs).run();
            String text = new com.fasterxml.jackson.databind.ObjectMapper()
                    .writerWithDefaultPrettyPrinter().writeValueAsString(r);
            System.out.println(text);
            if (json != null) {
                Files.writeString(json, text);
            }
            return 0;
        }
        long llc = WorkingSet.lastLevelCacheBytes();
        int values = lookupOnly ? 8 : this.values > 0 ? this.values : WorkingSet.values(llc, valueBytes);
        long millis = (long) (seconds * 1000);
        KvServer server = null;
        Path dataDir = null;
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            int p;
            if (port == null) {
                dataDir = Files.createTempDirectory("kvstore-bench-net");
                long dram = Math.max(1L << 30, 4L * values * valueBytes);
                server = new KvServer(ConfigLoader.builder().flag("port", 0).flag("adminPort", -1)
                        .flag("dataDir", dataDir).assignment("hbmCapacityBytes=0")
                        .assignment("dramCapacityBytes=" + dram).assignment("nvmeCapacityBytes=1GiB")
                        .assignment("maxFrameBytes=" + Math.max(64 << 20, 2 * valueBytes))
                        .assignment("dramSharedMemoryDir=" + shmDir(dataDir))
                        .assignment("dataSocket=" + (uds ? dataDir.resolve("kv.sock") : "")).load()).start();
                p = server.port();
                socket = server.dataSocket();
                out.put("server", "in-process, tier dram = " + server.store().tiers().get(0).getClass().getSimpleName());
            } else {
                p = port;
                out.put("server", host + ":" + p);
            }
            out.put("transport", transport);
            ClientOptions opts = ClientOptions.of(host, p).withSocketPath(uds ? socket : null)
                    .withStreamWindow(Math.max(4, depth * 2))
                    .withSpinWait(java.time.Duration.ofNanos(spinWaitMicros * 1000)).withDirectCalls(!noDirectCalls);
            KvLoad kv = new KvLoad(opts, valueBytes);
            List<byte[]> vals = new ArrayList<>();
            for (int i = 0; i < values; i++) {
                byte[] v = new byte[valueBytes];
                new SplittableRandom(i).nextBytes(v);
                vals.add(v);
            }
            List<BlockKey> keys = kv.load(vals, System.nanoTime());
            List<ByteBuffer> directVals = lookupOnly ? List.of() : KvLoad.direct(vals);
            RedisBaseline redis = null;
            int redisThreads = redisIoThreads > 0 ? redisIoThreads
                    : server != null ? server.config().eventLoopThreads()
                    : Runtime.getRuntime().availableProcessors();
            if (vsRedis && !lookupOnly) {
                out.put("redis_io_threads", redisThreads);
                redis = RedisBaseline.start(redisThreads);
                redis.load(vals);
            }
            List<Double> kvRuns = new ArrayList<>();
            List<Double> redisRuns = new ArrayList<>();
            List<Double> loopRuns = new ArrayList<>();
            List<Double> loopOneBufferRuns = new ArrayList<>();
            List<Double> udsRuns = new ArrayList<>();
            List<Double> lookupRuns = new ArrayList<>();
            List<Double> shmRuns = new ArrayList<>();
            List<Double> shmCopyRuns = new ArrayList<>();
            List<Double> memcpyRuns = new ArrayList<>();
            List<Double> readPassRuns = new ArrayList<>();
            try {
                // JIT warm-up of the Java client and server paths (Redis and the kernel need none); not counted
                if (!lookupOnly) {
                    kv.getThroughput(keys, connections, depth, (long) (warmupSeconds * 1000));
                    if (server != null && server.shmLeases() != null) {
                        kv.shmGetThroughput(keys, connections, depth, (long) (warmupSeconds * 500), false);
                    }
                }
                kv.lookupLatency(lookupBlocks, lookupSamples);
                for (int run = 0; run < runs; run++) {
                    String throughput = "";
                    if (!lookupOnly) {
                        if (vsRedis) {
                            loopRuns.add(LoopbackBaseline.run(false, connections, directVals, millis) / 1e9);
                            if (uds) {
                                udsRuns.add(LoopbackBaseline.run(true, connections, directVals, millis) / 1e9);
                            }
                            loopOneBufferRuns.add(LoopbackBaseline.run(connections, valueBytes, millis) / 1e9);
                        }
                        kvRuns.add(kv.getThroughput(keys, connections, depth, millis) / 1e9);
                        if (vsRedis) {
                            redisRuns.add(redis.getThroughput(connections, values, valueBytes, depth, millis) / 1e9);
                        }
                        if (server != null && server.shmLeases() != null) {
                            long granted = server.shmLeases().counters().get("granted");
                            memcpyRuns.add(KvLoad.memcpyThroughput(directVals, connections, millis) / 1e9);
                            readPassRuns.add(KvLoad.readPassThroughput(directVals, connections, millis) / 1e9);
                            shmRuns.add(kv.shmGetThroughput(keys, connections, depth, millis, false) / 1e9);
                            shmCopyRuns.add(kv.shmGetThroughput(keys, connections, depth, millis, true) / 1e9);
                            if (server.shmLeases().counters().get("granted") == granted) {
                                throw new IllegalStateException("the shm measurement did not use shared memory");
                            }
                            System.err.printf("run %d/%d: shm %.2f GB/s (read pass %.2f), shm+copy %.2f GB/s "
                                    + "(memcpy %.2f)%n", run + 1, runs, shmRuns.get(run), readPassRuns.get(run),
                                    shmCopyRuns.get(run), memcpyRuns.get(run));
                        }
                        throughput = String.format("kvstore %.2f GB/s%s, ", kvRuns.get(run), vsRedis
                                ? String.format(", redis %.2f GB/s, loopback %.2f GB/s (one buffer %.2f)%s",
                                redisRuns.get(run), loopRuns.get(run), loopOneBufferRuns.get(run),
                                uds ? String.format(", unix socket %.2f GB/s", udsRuns.get(run)) : "") : "");
                    }
                    Histogram h = kv.lookupLatency(lookupBlocks, lookupSamples);
                    lookupRuns.add((double) h.getValueAtPercentile(99));
                    System.err.printf("run %d/%d: %slookup(%d) p50 %d us p99 %d us p99.9 %d us%n", run + 1, runs,
                            throughput, lookupBlocks, h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                            h.getValueAtPercentile(99.9));
                }
            } finally {
                if (redis != null) {
                    redis.close();
                }
            }
            out.put("connections", connections);
            out.put("value_bytes", valueBytes);
            out.put("values_per_request", depth);
            out.put("distinct_values", values);
            out.put("working_set_bytes", (long) values * valueBytes);
            out.put("last_level_cache_bytes", llc);
            out.put("runs", runs);
            out.put("seconds_per_measurement", seconds);
            if (!kvRuns.isEmpty()) {
                out.put("kvstore_get_gbps", Measure.median(kvRuns));
            }
            if (vsRedis && !redisRuns.isEmpty()) {
                double r = Measure.median(redisRuns);
                double l = Measure.median(loopRuns);
                out.put("redis_get_gbps", r);
                out.put("loopback_gbps", l);
                out.put("loopback_one_buffer_gbps", Measure.median(loopOneBufferRuns));
                out.put("kvstore_vs_loopback_one_buffer", Measure.median(kvRuns) / Measure.median(loopOneBufferRuns));
                out.put("kvstore_vs_redis", Measure.median(kvRuns) / r);
                out.put("kvstore_vs_loopback", Measure.median(kvRuns) / l);
                out.put("redis_get_gbps_runs", redisRuns);
                out.put("loopback_gbps_runs", loopRuns);
                out.put("loopback_one_buffer_gbps_runs", loopOneBufferRuns);
                if (uds) {
                    out.put("uds_gbps", Measure.median(udsRuns));
                    out.put("kvstore_vs_uds", Measure.median(kvRuns) / Measure.median(udsRuns));
                    out.put("uds_gbps_runs", udsRuns);
                }
            }
            out.put("kvstore_get_gbps_runs", kvRuns);
            if (!shmRuns.isEmpty()) {
                double shm = Measure.median(shmRuns);
                double shmCopy = Measure.median(shmCopyRuns);
                out.put("kvstore_shm_get_gbps", shm);
                out.put("kvstore_shm_get_copy_gbps", shmCopy);
                out.put("read_pass_gbps", Measure.median(readPassRuns));
                out.put("memcpy_gbps", Measure.median(memcpyRuns));
                // like with like: the same bytes read once (CRC32C) / read and written once (a copy), same threads
                out.put("kvstore_shm_vs_read_pass", shm / Measure.median(readPassRuns));
                out.put("kvstore_shm_copy_vs_memcpy", shmCopy / Measure.median(memcpyRuns));
                out.put("kvstore_shm_get_gbps_runs", shmRuns);
                out.put("kvstore_shm_get_copy_gbps_runs", shmCopyRuns);
                out.put("read_pass_gbps_runs", readPassRuns);
                out.put("memcpy_gbps_runs", memcpyRuns);
            }
            out.put("lookup_blocks", lookupBlocks);
            out.put("client_spin_wait_us", spinWaitMicros);
            out.put("client_direct_calls", !noDirectCalls);
            out.put("lookup_p99_us", Measure.median(lookupRuns));
            out.put("lookup_p99_us_runs", lookupRuns);
            if (agentSeconds > 0) {
                AgentWorkload agent = new AgentWorkload(opts, kv.namespace(),
                        AgentWorkload.Shape.standard((int) Sizes.parse(agentBlockSize)));
                out.put("agent", agent.run(connections, (long) (agentSeconds * 1000)).toMap());
            }
        } finally {
            if (server != null) {
                server.close();
            }
            deleteShm();
        }
        String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out);
        System.out.println(text);
        if (json != null) {
            Files.writeString(json, text);
        }
        return 0;
    }
}
