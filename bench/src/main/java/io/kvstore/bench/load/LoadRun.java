package io.kvstore.bench.load;

import io.kvstore.core.progress.Progress;
import io.kvstore.bench.net.AgentWorkload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.KvStoreException;
import io.kvstore.client.PutAck;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.body.PutCode;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * One measurement against one daemon: {@code connections} engine connections replay the workload turn after
 * turn (LOOKUP, GET of the hit prefix, PUT of the rest: {@link AgentWorkload#turn}) while a prober connection
 * sends a LOOKUP of the latest context any engine sent at a fixed rate. The first {@code warmupSeconds} fill the
 * cache and are not counted; then {@code seconds} are measured, with a scrape of the daemon's metrics and its
 * {@code /proc/<pid>/io} at both ends. Requests are counted when they complete inside the window.
 */
final class LoadRun {

    /** The namespace the load runs in: 16 tokens a block (payload sizes are free). */
    static final Namespace NAMESPACE = new Namespace("bench-load", new KvLayout("bf16", 1, 1, 64, 16), "", "", "");

    /** What one measurement saw, client side and from the daemon. */
    record Result(double seconds, long turns, long blocksLookedUp, long blocksHit, long getBytes, long putBytes,
                  long putBlocks, Map<String, Long> putStatuses, long errors, String firstError,
                  long probeMissedSlots,
                  Latencies lookup, Latencies get, Latencies getPerMib, Latencies put, Latencies probe,
                  Scrape before, Scrape after, Daemon.Io io, Instant from, Instant to, List<String> threadNames,
                  Map<String, long[]> sched) {
    }

    private final ClientOptions options;
    private final Workload workload;
    private final int connections;
    private final double probeRate;

    LoadRun(ClientOptions options, Workload workload, int connections, double probeRate) {
        this.options = options;
        this.workload = workload;
        this.connections = connections;
        this.probeRate = probeRate;
    }

    /** A request went unanswered: the daemon's threads, in its log, say where it stands (kept: --keep-daemon-logs). */
    private static void dumpDaemon(Daemon daemon, RuntimeException e) {
        try {
            daemon.dumpThreads();
            System.err.println("bench load: " + e.getMessage() + "; the daemon's thread dump is in " + daemon.log);
        } catch (IOException | InterruptedException ex) {
            System.err.println("bench load: could not dump the daemon's threads: " + ex);
        }
    }

    /**
     * Warms up, then measures; reports each phase to {@code progress} under {@code label} (e.g. "run 1/3 full").
     */
    Result run(Daemon daemon, double warmupSeconds, long warmupTurns, double seconds, Progress progress,
               String label) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean measuring = new AtomicBoolean();
        long[] t0 = {0};
        LongAdder turns = new LongAdder();
        LongAdder allTurns = new LongAdder(); // warm-up included
        LongAdder looked = new LongAdder();
        LongAdder hit = new LongAdder();
        LongAdder getBytes = new LongAdder();
        LongAdder putBytes = new LongAdder();
        LongAdder putBlocks = new LongAdder();
        LongAdder errors = new LongAdder();
        LongAdder missed = new LongAdder();
        Map<String, LongAdder> putStatuses = new ConcurrentSkipListMap<>();
        AtomicReference<String> firstError = new AtomicReference<>();
        Latencies lookup = new Latencies();
        Latencies get = new Latencies();
        Latencies getPerMib = new Latencies();
        Latencies put = new Latencies();
        Latencies probe = new Latencies();
        AtomicReference<int[]> latest = new AtomicReference<>();
        PrefixHasher hasher = new PrefixHasher(NAMESPACE);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int conn = c;
            threads.add(new Thread(() -> {
                Workload.Source source = workload.source(conn);
                AgentWorkload.TurnListener listener = new AgentWorkload.TurnListener() {
                    @Override
                    public void lookup(long nanos, int keys, int hits) {
                        if (measuring.get()) {
                            lookup.record(nanos / 1000, second(t0[0]));
                            looked.add(keys);
                            hit.add(hits);
                        }
                    }

                    @Override
                    public void get(long nanos, long bytes) {
                        if (measuring.get()) {
                            int s = second(t0[0]);
                            get.record(nanos / 1000, s);
                            getPerMib.record(Math.round(nanos / 1000.0 / Math.max(bytes / 1048576.0, 1e-6)), s);
                            getBytes.add(bytes);
                        }
                    }

                    @Override
                    public void put(long nanos, int blocks, long bytes, PutAck ack) {
                        if (measuring.get()) {
                            put.record(nanos / 1000, second(t0[0]));
                            putBytes.add(bytes);
                            putBlocks.add(blocks);
                            for (PutCode st : ack.statuses()) {
                                putStatuses.computeIfAbsent(st.name(), k -> new LongAdder()).increment();
                            }
                        }
                    }
                };
                try (KvStoreClient client = KvStoreClient.create(options)) {
                    while (!stop.get()) {
                        Workload.Turn t = source.next();
                        latest.set(t.tokens());
                        try {
                            AgentWorkload.turn(client, NAMESPACE, hasher, t.tokens(), t.payloads(), listener);
                            allTurns.increment();
                            if (measuring.get()) {
                                turns.increment();
                            }
                        } catch (RuntimeException e) {
                            if (stop.get()) {
                                return;
                            }
                            errors.increment();
                            if (firstError.compareAndSet(null, e.toString())
                                    && e instanceof KvStoreException.Timeout) {
                                dumpDaemon(daemon, e);
                            }
                            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                        }
                    }
                } catch (RuntimeException e) {
                    errors.increment();
                    firstError.compareAndSet(null, "connection " + conn + ": " + e);
                }
            }, "load-" + c));
        }
        threads.add(new Thread(() -> {
            long period = (long) (1e9 / probeRate);
            try (KvStoreClient client = KvStoreClient.create(options)) {
                long next = System.nanoTime();
                while (!stop.get()) {
                    long now = System.nanoTime();
                    if (now < next) {
                        LockSupport.parkNanos(next - now);
                        continue;
                    }
                    if (now - next > period) { // fell behind: skip the missed slots rather than burst
                        long skip = (now - next) / period;
                        next += skip * period;
                        if (measuring.get()) {
                            missed.add(skip);
                        }
                    }
                    next += period;
                    int[] tokens = latest.get();
                    if (tokens == null) {
                        continue;
                    }
                    List<BlockKey> keys = hasher.hash(tokens);
                    long s0 = System.nanoTime();
                    try {
                        client.lookup(NAMESPACE, keys);
                        if (measuring.get()) {
                            probe.record((System.nanoTime() - s0) / 1000, second(t0[0]));
                        }
                    } catch (RuntimeException e) {
                        if (!stop.get()) {
                            errors.increment();
                            firstError.compareAndSet(null, "probe: " + e);
                        }
                    }
                }
            }
        }, "load-prober"));
        threads.forEach(Thread::start);
        Result result;
        try {
            progress.phase(String.format(Locale.ROOT, "%s: warm-up, %.0f s", label, warmupSeconds));
            progress.sleep(warmupSeconds);
            if (allTurns.sum() < warmupTurns) { // a slow build warms up by the same work as a fast one
                progress.phase(label + ": warm-up until the engines have done " + warmupTurns + " turns");
                while (allTurns.sum() < warmupTurns) {
                    progress.at((double) allTurns.sum() / warmupTurns);
                    Thread.sleep(100);
                }
            }
            Scrape before = daemon.scrape();
            Daemon.Io io0 = daemon.io();
            Map<String, long[]> sched0 = daemon.sched();
            Instant from = Instant.now();
            t0[0] = System.nanoTime();
            measuring.set(true);
            progress.phase(String.format(Locale.ROOT, "%s: measuring, %.0f s", label, seconds));
            progress.sleep(seconds);
            measuring.set(false);
            progress.end();
            double secs = (System.nanoTime() - t0[0]) / 1e9;
            Instant to = Instant.now();
            Daemon.Io io = daemon.io().minus(io0);
            Map<String, long[]> sched = daemon.sched();
            sched.forEach((g, s) -> {
                long[] s0 = sched0.getOrDefault(g, new long[2]);
                s[0] -= s0[0];
                s[1] -= s0[1];
            });
            Scrape after = daemon.scrape();
            List<String> names = daemon.threadNames();
            result = new Result(secs, turns.sum(), looked.sum(), hit.sum(), getBytes.sum(), putBytes.sum(),
                    putBlocks.sum(), counts(putStatuses), errors.sum(), firstError.get(), missed.sum(), lookup, get,
                    getPerMib, put, probe,
                    before, after, io, from, to, names, sched);
        } finally {
            progress.end();
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
            }
        }
        return result;
    }

    private static Map<String, Long> counts(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private static int second(long t0) {
        return (int) Math.max(0, (System.nanoTime() - t0) / 1_000_000_000L);
    }
}
