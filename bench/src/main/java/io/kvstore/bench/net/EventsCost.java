package io.kvstore.bench.net;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.events.KvEventSubscriber;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench net --kv-events}: what publishing KV events costs the daemon. Two in-process daemons, identical but
 * for {@code kvEventsEndpoint} (the second publishes, with a JeroMQ subscriber reading every batch), measured
 * alternately in the same run (which goes first alternates too): PUT, GET and LOOKUP operations per second with {@code connections} clients. The
 * DRAM tier holds a quarter of what the PUT phase writes, so PUTs demote and evict (the events a router cares
 * about); GETs and LOOKUPs read a prefix that stays cached.
 *
 * <p>Throughput on a shared machine drifts by more than the cost being measured, so the figure is paired: each
 * round measures both daemons back to back, its ratio is on / off of those two runs, and the result is the median
 * of the rounds' ratios with their quartiles (the spread). Beside it, figures that drift hardly moves: the process
 * CPU per block (or per LOOKUP) in the on and off phases, the share of the on phases' CPU that the event threads
 * (publisher, subscriber, JeroMQ's) used, and the publisher's share of the daemons' CPU: of the threads that existed
 * before a phase ({@code /proc/self/task}: RocksDB's native threads and the JVM's too), not the clients', which share
 * this process and are started for each phase.
 */
final class EventsCost {

    private static final Namespace NS = new Namespace("bench/events", new KvLayout("bf16", 2, 2, 64, 16), "t", "", "");
    private static final int CHAIN = 32;

    private final int connections;
    private final int valueBytes;
    private final long millis;
    private final int runs;

    EventsCost(int connections, int valueBytes, long millis, int runs) {
        this.connections = connections;
        this.valueBytes = valueBytes;
        this.millis = millis;
        this.runs = runs;
    }

    private KvServer server(Path dir, boolean events, long dramBytes) throws Exception {
        ConfigLoader c = ConfigLoader.builder().flag("port", 0).flag("adminPort", -1).flag("dataDir", dir)
                .assignment("hbmCapacityBytes=0").assignment("dramCapacityBytes=" + dramBytes)
                .assignment("dramPersist=false").assignment("nvmeCapacityBytes=" + 4 * dramBytes);
        if (events) {
            c.assignment("kvEventsEndpoint=tcp://127.0.0.1:*").assignment("kvEventsReplayEndpoint=tcp://127.0.0.1:*");
        }
        return new KvServer(c.load()).start();
    }

    /** One timed phase: operations per second, and the CPU the process and the event threads used meanwhile. */
    private record Phase(double opsPerSecond, long ops, long processCpuNanos, long eventCpuNanos,
                         long publisherCpuNanos, long daemonCpuNanos) {
    }

    /** The publisher's threads (its own and its JeroMQ context's), told apart from the subscriber's by when they started. */
    private Set<Thread> publisherThreads = Set.of();

    Map<String, Object> run() throws Exception {
        long dram = Math.max(64L << 20, (long) valueBytes * 4096);
        Path dirOff = Files.createTempDirectory("kvstore-events-off");
        Path dirOn = Files.createTempDirectory("kvstore-events-on");
        AtomicLong received = new AtomicLong();
        Map<String, Object> out = new LinkedHashMap<>();
        try (KvServer off = server(dirOff, false, dram); KvServer on = server(dirOn, true, dram)) {
            publisherThreads = new HashSet<>(eventThreads()); // before the subscriber starts its own
            try (KvEventSubscriber sub = new KvEventSubscriber(on.events().endpoint(), on.events().replayEndpoint(),
                    "", (seq, batch) -> received.addAndGet(batch.events().size()))) {
                measure(new KvServer[] {off, on}, out);
                Thread.sleep(500);
                Map<String, Long> threadCpu = new java.util.TreeMap<>(); // over the whole run, idle time too
                for (Thread t : eventThreads()) {
                    threadCpu.merge((publisherThreads.contains(t) ? "publisher " : "subscriber ") + t.getName(),
                            cpuNanos(List.of(t)) / 1_000_000, Long::sum);
                }
                out.put("event_threads_cpu_ms", threadCpu);
                out.put("process_cpu_ms", processCpuNanos() / 1_000_000);
            }
            out.put("events_published", on.events().events());
            out.put("events_received", received.get());
            out.put("events_dropped", on.events().dropped());
            out.put("event_batches", on.events().batches());
        } finally {
            deleteTree(dirOff);
            deleteTree(dirOn);
        }
        return out;
    }

    /** The rounds over both daemons ({@code servers[0]} off, {@code [1]} on), and their summary into {@code out}. */
    private void measure(KvServer[] servers, Map<String, Object> out) throws Exception {
        String[] names = {"off", "on"};
        Map<String, List<Phase>> phases = new LinkedHashMap<>();
        for (int run = -1; run < runs; run++) { // run -1: warm-up, not counted
            for (int turn = 0; turn < 2; turn++) {
                int s = (run & 1) == 0 ? turn : 1 - turn; // alternate which daemon goes first
                int port = servers[s].port();
                Phase put = ops(port, (c, w, i) -> c.putBlocks(NS, chain(i)));
                List<BlockPayload> hot = chain(1L << 40 | s);
                try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", port))) {
                    c.putBlocks(NS, hot);
                }
                List<BlockKey> keys = hot.stream().map(b -> b.meta().key()).toList();
                Phase get = ops(port, (c, w, i) -> c.getBlocks(NS, keys).forEach(b -> b.close()));
                Phase lookup = ops(port, (c, w, i) -> c.lookup(NS, keys));
                if (run >= 0) {
                    phases.computeIfAbsent("put_" + names[s], k -> new ArrayList<>()).add(put);
                    phases.computeIfAbsent("get_" + names[s], k -> new ArrayList<>()).add(get);
                    phases.computeIfAbsent("lookup_" + names[s], k -> new ArrayList<>()).add(lookup);
                }
            }
        }
        for (String op : List.of("put", "get", "lookup")) {
            int perOp = op.equals("lookup") ? 1 : CHAIN;
            String unit = op.equals("lookup") ? "_per_second" : "_blocks_per_second";
            List<Phase> a = phases.get(op + "_off");
            List<Phase> b = phases.get(op + "_on");
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                ratios.add(b.get(i).opsPerSecond() / a.get(i).opsPerSecond()); // the two runs of one round
            }
            out.put(op + unit + "_off", Measure.median(rates(a, perOp)));
            out.put(op + unit + "_on", Measure.median(rates(b, perOp)));
            out.put(op + "_on_over_off", Measure.median(ratios));
            out.put(op + "_on_over_off_quartiles", quartiles(ratios));
            out.put(op + "_on_over_off_rounds", ratios);
            out.put(op + "_cpu_us_per" + (perOp == 1 ? "_op" : "_block") + "_off", cpuPerOp(a, perOp));
            out.put(op + "_cpu_us_per" + (perOp == 1 ? "_op" : "_block") + "_on", cpuPerOp(b, perOp));
            out.put(op + "_event_threads_cpu_share_on", share(b, Phase::eventCpuNanos));
            out.put(op + "_publisher_threads_cpu_share_on", share(b, Phase::publisherCpuNanos));
            out.put(op + "_publisher_share_of_daemon_cpu_on", (double) b.stream()
                    .mapToLong(Phase::publisherCpuNanos).sum() / b.stream().mapToLong(Phase::daemonCpuNanos).sum());
            out.put(op + unit + "_runs_off", rates(a, perOp));
            out.put(op + unit + "_runs_on", rates(b, perOp));
        }
    }

    private static List<Double> rates(List<Phase> ps, int perOp) {
        return ps.stream().map(p -> p.opsPerSecond() * perOp).toList();
    }

    /** Process CPU per block (or per LOOKUP) over all the rounds' phases, in microseconds. */
    private static double cpuPerOp(List<Phase> ps, int perOp) {
        long cpu = ps.stream().mapToLong(Phase::processCpuNanos).sum();
        long ops = ps.stream().mapToLong(Phase::ops).sum();
        return ops == 0 ? 0 : cpu / 1e3 / ((double) ops * perOp);
    }

    /** Some threads' part of the process CPU over the phases. */
    private static double share(List<Phase> ps, java.util.function.ToLongFunction<Phase> threads) {
        long cpu = ps.stream().mapToLong(Phase::processCpuNanos).sum();
        return cpu == 0 ? 0 : (double) ps.stream().mapToLong(threads).sum() / cpu;
    }

    /** The first and third quartiles of {@code xs}. */
    private static List<Double> quartiles(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return List.of(s.get((s.size() - 1) / 4), s.get((3 * (s.size() - 1) + 3) / 4));
    }

    private interface Op {
        void apply(KvStoreClient c, int worker, long i) throws Exception;
    }

    /**
     * Threads that exist only because events are on: the publisher ({@code kvstore-kv-events}), the subscriber
     * ({@code kv-events-sub-...}) and JeroMQ's I/O and reaper threads of both.
     */
    private static List<Thread> eventThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> {
            String n = t.getName();
            return n.startsWith("kvstore-kv-events") || n.startsWith("kv-events-sub-") || n.startsWith("reaper-")
                    || n.startsWith("iothread-");
        }).toList();
    }

    private static long cpuNanos(List<Thread> threads) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : threads) {
            long n = mx.getThreadCpuTime(t.getId());
            sum += Math.max(0, n);
        }
        return sum;
    }

    /**
     * CPU ticks (user + system) of every thread of this process by thread id, from {@code /proc/self/task}: native
     * threads (RocksDB's) included, which the JVM does not see. Empty where there is no /proc.
     */
    private static Map<String, Long> taskCpuTicks() {
        Map<String, Long> out = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.put(t.getFileName().toString(), Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (java.io.IOException noProc) {
            return Map.of();
        }
        return out;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** {@code op} on {@code connections} clients for {@code millis}: its rate and the CPU used meanwhile. */
    private Phase ops(int port, Op op) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        AtomicLong done = new AtomicLong();
        List<Thread> events = eventThreads();
        List<Thread> publisher = events.stream().filter(publisherThreads::contains).toList();
        Map<String, Long> before = taskCpuTicks(); // the daemons' threads, native ones too, and the JVM's; no client yet
        long cpu0 = processCpuNanos();
        long ev0 = cpuNanos(events);
        long pub0 = cpuNanos(publisher);
        long end = System.nanoTime() + millis * 1_000_000L;
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < connections; w++) {
            int worker = w;
            fs.add(pool.submit(() -> {
                try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", port))) {
                    while (System.nanoTime() < end) {
                        op.apply(c, worker, COUNTER.incrementAndGet()); // a fresh chain per PUT
                        done.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - t0) / 1e9;
        long daemon = 0;
        for (Map.Entry<String, Long> e : taskCpuTicks().entrySet()) {
            Long b = before.get(e.getKey());
            daemon += b == null ? 0 : e.getValue() - b;
        }
        daemon *= 10_000_000L; // ticks of 10 ms (USER_HZ 100)
        return new Phase(done.get() / seconds, done.get(), processCpuNanos() - cpu0, cpuNanos(events) - ev0,
                cpuNanos(publisher) - pub0, daemon);
    }

    private static final AtomicLong COUNTER = new AtomicLong();

    private List<BlockPayload> chain(long seed) {
        int[] tokens = new int[CHAIN * NS.layout().tokensPerBlock()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (int) ((seed * 31 + i) & 0x7fffffff);
        }
        List<ByteBuffer> payloads = new ArrayList<>(CHAIN);
        for (int i = 0; i < CHAIN; i++) {
            ByteBuffer b = ByteBuffer.allocate(valueBytes);
            b.putLong(0, seed).putInt(8, i);
            payloads.add(b);
        }
        return BlockPayload.chain(NS, tokens, payloads);
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }
}
