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

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench net --kv-events}: what publishing KV events costs the daemon. Two in-process daemons, identical but
 * for {@code kvEventsEndpoint} (the second publishes, with a JeroMQ subscriber reading every batch), measured
 * alternately in the same run (which goes first alternates too): PUT, GET and LOOKUP operations per second with {@code connections} clients. The
 * DRAM tier holds a quarter of what the PUT phase writes, so PUTs demote and evict (the events a router cares
 * about); GETs and LOOKUPs read a prefix that stays cached. Medians over {@code runs}; ratio = on / off.
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

    Map<String, Object> run() throws Exception {
        long dram = Math.max(64L << 20, (long) valueBytes * 4096);
        Path dirOff = Files.createTempDirectory("kvstore-events-off");
        Path dirOn = Files.createTempDirectory("kvstore-events-on");
        AtomicLong received = new AtomicLong();
        Map<String, Object> out = new LinkedHashMap<>();
        try (KvServer off = server(dirOff, false, dram); KvServer on = server(dirOn, true, dram);
             KvEventSubscriber sub = new KvEventSubscriber(on.events().endpoint(), on.events().replayEndpoint(), "",
                     (seq, batch) -> received.addAndGet(batch.events().size()))) {
            KvServer[] servers = {off, on};
            String[] names = {"off", "on"};
            Map<String, List<Double>> results = new LinkedHashMap<>();
            for (int run = -1; run < runs; run++) { // run -1: warm-up, not counted
                for (int turn = 0; turn < 2; turn++) {
                    int s = (run & 1) == 0 ? turn : 1 - turn; // alternate which daemon goes first
                    int port = servers[s].port();
                    double put = ops(port, (c, w, i) -> c.putBlocks(NS, chain(i)));
                    List<BlockPayload> hot = chain(1L << 40 | s);
                    try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", port))) {
                        c.putBlocks(NS, hot);
                    }
                    List<BlockKey> keys = hot.stream().map(b -> b.meta().key()).toList();
                    double get = ops(port, (c, w, i) -> c.getBlocks(NS, keys).forEach(b -> b.close()));
                    double lookup = ops(port, (c, w, i) -> c.lookup(NS, keys));
                    if (run >= 0) {
                        results.computeIfAbsent("put_" + names[s], k -> new ArrayList<>()).add(put * CHAIN);
                        results.computeIfAbsent("get_" + names[s], k -> new ArrayList<>()).add(get * CHAIN);
                        results.computeIfAbsent("lookup_" + names[s], k -> new ArrayList<>()).add(lookup);
                    }
                }
            }
            for (String op : List.of("put", "get", "lookup")) {
                double a = Measure.median(results.get(op + "_off"));
                double b = Measure.median(results.get(op + "_on"));
                out.put(op + (op.equals("lookup") ? "_per_second_off" : "_blocks_per_second_off"), a);
                out.put(op + (op.equals("lookup") ? "_per_second_on" : "_blocks_per_second_on"), b);
                out.put(op + "_on_over_off", b / a);
                out.put(op + "_runs_off", results.get(op + "_off"));
                out.put(op + "_runs_on", results.get(op + "_on"));
            }
            Thread.sleep(500);
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

    private interface Op {
        void apply(KvStoreClient c, int worker, long i) throws Exception;
    }

    /** Operations per second of {@code op} on {@code connections} clients for {@code millis}. */
    private double ops(int port, Op op) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        AtomicLong done = new AtomicLong();
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
        return done.get() / ((System.nanoTime() - t0) / 1e9);
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
