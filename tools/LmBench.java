import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * lm:// throughput of a kvstore daemon against raw loopback, in the same run (docs/protocol-lmcache.md).
 *
 * <p>One client connection does what LMCache's LMCServerConnector does, with 4 MiB chunks: PUT every chunk (header +
 * payload, no reply), then for every chunk EXIST, GET (header + payload back) and HEALTH, each waiting for its reply.
 * The same client then talks to "raw loopback": an in-process server on a loopback socket that speaks the same
 * bytes but stores nothing (it reads PUT payloads into one buffer and answers GET from one buffer), so the ratio is
 * what the daemon's work costs over moving the bytes through the kernel. Phases alternate (daemon, loopback, ...)
 * {@code runs} times; medians are reported.
 *
 * <p>A second sink, "distinct", stores nothing either but receives each PUT payload into its own place of one 1 GiB
 * buffer (cycling), as a store receives into arena memory nobody touched lately, and answers each GET from the place
 * its key's PUT went to, as a store serves the chunks it holds; the first sink receives every payload into the same
 * cache-resident buffer and answers every GET from another. On a machine where memory that is not hot is slow
 * (docs/bench-load.md, "Memory that is not hot") the two differ; the daemon's PUT and round trips are printed against
 * both.
 *
 * <p>Keys: {@code same} (the default) PUTs the same keys every run, so every measured PUT replaces a stored chunk
 * (a delete, then a put); {@code fresh} gives every run keys of its own, as LMCache's content-addressed chunk keys
 * are (a PUT of a new chunk into a cache that fills up and demotes).
 *
 * <p>Warm-up: a daemon's PUT path runs several times faster once the JIT has compiled it, and on this machine that
 * takes gigabytes of PUTs (the rate climbs from about 1 to 3-4 GB/s over the first 5-6 GiB of a fresh daemon;
 * docs/protocol-lmcache.md). With {@code warmupMiB} above 0 the warm-up first makes 4,000 EXIST+GET+HEALTH round
 * trips per server, then repeats rounds of what a run does (fresh chunks PUT, keys {@code warm<r>-chunk-<i>}, then
 * their round trips) until the daemon's JIT compilers are quiet in a round (under 1% of its time, from the daemon's
 * {@code /metrics}) or {@code warmupMiB} are PUT, and prints each round's PUT rate and JIT share, so a reader sees
 * the daemon converge; the runs' own JIT time is reported too. For the runs to measure the door rather than
 * demotion to disk, the daemon must either hold the warm-up and the runs in memory or have no tier to demote to
 * (tools/doors-bench.sh: 4 GiB of DRAM alone, LRU, so that what a new chunk evicts is dropped and every chunk of a
 * run is still there for its round trips). Without a warm-up, one round of {@code chunks} is the only one (of the
 * daemon and the sinks alike).
 *
 * <p>Usage: {@code java tools/LmBench.java PORT [chunks=64] [runs=3] [chunkBytes=4194304] [keys=same|fresh]
 * [warmupMiB=0] [metricsUrl]}; with the daemon's {@code /metrics} address the warm-up stops when the JIT is quiet,
 * and the daemon's own time per PUT and its JIT time in the measured runs are reported. The sinks are threads of
 * this process unless {@code LM_SINK_PORTS=P1,P2} names the ports of {@code java tools/LmBench.java sink CHUNK}
 * started apart (which prints them), so that they can run on the cores the daemon runs on, with the client on
 * others: on 2 cores a server that shares its core with the client receives at about half the rate of one that
 * does not, and the scheduler decides that from run to run (docs/protocol-lmcache.md, "Where the threads run").
 */
public final class LmBench {

    private static final int REQUEST = 186;
    private static final int REPLY = 36;

    public static void main(String[] args) throws Exception {
        if (args[0].equals("sink")) {
            sink(Integer.parseInt(args[1]));
            return;
        }
        int port = Integer.parseInt(args[0]);
        int chunks = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int chunk = args.length > 3 ? Integer.parseInt(args[3]) : 4 << 20;
        boolean fresh = args.length > 4 && args[4].equals("fresh");
        long warmupBytes = (args.length > 5 ? Long.parseLong(args[5]) : 0) << 20;
        String metrics = args.length > 6 ? args[6] : null;
        List<byte[]> payloads = new ArrayList<>();
        Random rnd = new Random(1);
        for (int i = 0; i < Math.min(chunks, 8); i++) {
            byte[] p = new byte[chunk];
            rnd.nextBytes(p);
            payloads.add(p);
        }
        ByteBuffer[] direct = payloads.stream().map(p -> ByteBuffer.allocateDirect(p.length).put(p).flip())
                .toArray(ByteBuffer[]::new);
        // the sinks: threads of this process, or (LM_SINK_PORTS=one-buffer,distinct) a process of their own, which
        // can then be placed on the cores the daemon runs on (tools/doors-bench.sh, LM_PLACEMENT)
        String external = System.getenv("LM_SINK_PORTS");
        boolean inProcess = external == null || external.isBlank();
        try (RawServer raw = inProcess ? new RawServer(chunk, 0) : null;
             RawServer distinct = inProcess ? new RawServer(chunk, 1L << 30) : null;
             Client kv = new Client(port, direct, chunk);
             Client rawClient = new Client(inProcess ? raw.port() : sinkPort(external, 0), direct, chunk);
             Client distinctClient = new Client(inProcess ? distinct.port() : sinkPort(external, 1), direct, chunk)) {
            // warm-up of the round trips' path (EXIST, GET, HEALTH): a run has only 3 x chunks of them, far under what
            // the JIT compiler needs to compile them
            if (warmupBytes > 0) {
                long t = System.nanoTime();
                for (Client c : new Client[] {kv, rawClient, distinctClient}) {
                    c.roundTripWarmup(ROUND_TRIP_WARMUP);
                }
                System.out.printf(Locale.ROOT, "warm-up: %d EXIST+GET+HEALTH round trips of %d-byte chunks against each "
                        + "server, %.1f s%n", ROUND_TRIP_WARMUP, chunk, (System.nanoTime() - t) / 1e9);
            }
            // warm-up of the daemon's PUT path: rounds of what a run does (fresh chunks PUT, then their round trips),
            // until the daemon's JIT compiler is quiet (a round adds under QUIET_JIT of its own time in compilation)
            // or warmupMiB are PUT; not counted
            StringBuilder rates = new StringBuilder();
            long warmed = 0;
            double jit = scrape(metrics)[2];
            boolean quiet = false;
            for (int r = 0; warmed < warmupBytes && !quiet; r++) {
                long t = System.nanoTime();
                double[] got = kv.run(chunks, "warm" + r + "-chunk-");
                double seconds = (System.nanoTime() - t) / 1e9;
                double jitNow = scrape(metrics)[2];
                rates.append(String.format(Locale.ROOT, " %.2f (JIT %.0f%%)", got[0], 100 * (jitNow - jit) / seconds));
                quiet = metrics != null && r >= 1 && jitNow - jit < QUIET_JIT * seconds;
                jit = jitNow;
                warmed += (long) chunks * chunk;
            }
            if (rates.length() > 0) {
                System.out.printf(Locale.ROOT, "warm-up: %d MiB of fresh chunks%s, PUT GB/s per round (the daemon's "
                        + "JIT compilation time in %% of the round's):%s%n", warmed >> 20,
                        quiet ? " (JIT quiet)" : metrics == null ? "" : " (JIT not quiet: the limit)", rates);
            }
            // warm-up of both paths (JIT of the client and the daemon), not counted
            kv.run(chunks, "chunk-");
            rawClient.run(chunks, "chunk-");
            distinctClient.run(chunks, "chunk-");
            double[][] k = new double[runs][];
            double[][] r = new double[runs][];
            double[][] d = new double[runs][];
            double[] before = scrape(metrics);
            for (int i = 0; i < runs; i++) {
                // same keys: a PUT replaces, so the daemon holds one set of chunks (in memory tiers)
                k[i] = kv.run(chunks, fresh ? "run" + i + "-chunk-" : "chunk-");
                r[i] = rawClient.run(chunks, "chunk-");
                d[i] = distinctClient.run(chunks, "chunk-");
                System.out.printf(Locale.ROOT, "run %d: kvstore put %.2f GB/s, round trip %.2f GB/s | loopback put %.2f "
                        + "GB/s, round trip %.2f GB/s | loopback with distinct memory put %.2f GB/s, round trip %.2f "
                        + "GB/s%n", i + 1, k[i][0], k[i][1], r[i][0], r[i][1], d[i][0], d[i][1]);
            }
            double[] after = scrape(metrics);
            double msPerPut = after[1] > before[1] ? (after[0] - before[0]) * 1000 / (after[1] - before[1]) : -1;
            double jitInRuns = metrics == null ? -1 : after[2] - before[2];
            double kp = median(k, 0);
            double kr = median(k, 1);
            double rp = median(r, 0);
            double rr = median(r, 1);
            double dp = median(d, 0);
            double dr = median(d, 1);
            System.out.printf(Locale.ROOT, "median of %d runs, %d chunks of %d bytes: kvstore put %.2f GB/s (%.2fx loopback "
                    + "%.2f, %.2fx loopback with distinct memory %.2f), EXIST+GET+HEALTH round trips %.2f GB/s (%.2fx "
                    + "loopback %.2f, %.2fx loopback with distinct memory %.2f)%n", runs, chunks, chunk, kp, kp / rp, rp,
                    kp / dp, dp, kr, kr / rr, rr, kr / dr, dr);
            System.out.printf(Locale.ROOT, "{\"chunk_bytes\": %d, \"chunks\": %d, \"runs\": %d, \"kvstore_put_gbps\": %.3f, "
                    + "\"loopback_put_gbps\": %.3f, \"put_ratio\": %.3f, \"loopback_distinct_put_gbps\": %.3f, "
                    + "\"put_ratio_distinct\": %.3f, \"kvstore_roundtrip_gbps\": %.3f, "
                    + "\"loopback_roundtrip_gbps\": %.3f, \"roundtrip_ratio\": %.3f, "
                    + "\"loopback_distinct_roundtrip_gbps\": %.3f, \"roundtrip_ratio_distinct\": %.3f, "
                    + "\"daemon_ms_per_put\": %.3f, \"daemon_jit_seconds_in_runs\": %.3f}%n", chunk, chunks, runs, kp,
                    rp, kp / rp, dp, kp / dp, kr, rr, kr / rr, dr, kr / dr, msPerPut, jitInRuns);
        }
    }

    /** {@code java tools/LmBench.java sink CHUNK}: both sinks in this process, their ports printed, until killed. */
    private static void sink(int chunk) throws Exception {
        try (RawServer raw = new RawServer(chunk, 0); RawServer distinct = new RawServer(chunk, 1L << 30)) {
            System.out.println("sink " + raw.port() + " " + distinct.port());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private static int sinkPort(String ports, int which) {
        return Integer.parseInt(ports.split(",")[which].trim());
    }

    /**
     * From the daemon's {@code /metrics} at {@code url}: the {@code kvstore_request_duration_seconds} sum and count of
     * lm:// PUTs (its own time per PUT: the CRC32C and the store's put) and its JIT compilers' total time in seconds
     * ({@code jvm_compilation_time_seconds_total}); zeros without a url.
     */
    private static double[] scrape(String url) throws IOException, InterruptedException {
        if (url == null) {
            return new double[3];
        }
        String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(url)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        double[] out = new double[3];
        for (String line : body.split("\n")) {
            int at = line.startsWith("kvstore_request_duration_seconds_sum{opcode=\"lm_put\"") ? 0
                    : line.startsWith("kvstore_request_duration_seconds_count{opcode=\"lm_put\"") ? 1
                    : line.startsWith("jvm_compilation_time_seconds_total") ? 2 : -1;
            if (at >= 0) {
                out[at] = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return out;
    }

    private static double median(double[][] v, int col) {
        double[] c = Arrays.stream(v).mapToDouble(a -> a[col]).sorted().toArray();
        return c[c.length / 2];
    }

    /**
     * The PUT warm-up stops after a round in which the daemon's JIT compilers worked less than this share of the
     * round's time: what they still compile then is rare paths, and a measured run is not slowed by a compiler thread
     * taking one of the machine's cores (on 2 cores, C2 took 29% of the daemon's CPU samples in runs after a
     * fixed 6 GiB warm-up, and those runs' PUTs fell to 0.5x loopback).
     */
    private static final double QUIET_JIT = 0.01;

    /** Round trips of the request warm-up, per server: enough for the JIT compiler to compile their path. */
    private static final int ROUND_TRIP_WARMUP = 4_000;

    /**
     * One client connection to a server, kept for the whole benchmark as LMCache keeps its connection (a connection
     * per run would start every run with the kernel's small initial receive window and a fresh connection's code
     * paths in the daemon).
     */
    private static final class Client implements AutoCloseable {
        private final SocketChannel ch;
        private final ByteBuffer[] payloads;
        private final int chunk;
        private final ByteBuffer in;
        private final ByteBuffer reply = ByteBuffer.allocate(REPLY).order(ByteOrder.LITTLE_ENDIAN);

        Client(int port, ByteBuffer[] payloads, int chunk) throws IOException {
            this.ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
            ch.socket().setTcpNoDelay(true);
            this.payloads = payloads;
            this.chunk = chunk;
            this.in = ByteBuffer.allocateDirect(chunk);
        }

        /**
         * 16 chunks PUT ({@code rtwarm-<i>}), then {@code roundTrips} EXIST+GET+HEALTH round trips over them: the
         * round trips' code is compiled by then, which the 3 x chunks round trips of a run leave to chance. Requests
         * of the runs' own size only: a warm-up of smaller PUTs (20,000 of 64 KiB, tried) compiled the PUT path for
         * branches the runs do not take, and the runs' PUTs then fell from about 3 to about 2 GB/s.
         */
        void roundTripWarmup(int roundTrips) throws IOException {
            for (int i = 0; i < 16; i++) {
                write(ch, header(1, "rtwarm-" + i, chunk));
                write(ch, payloads[i % payloads.length].duplicate());
            }
            roundTrip(ch, header(5, "", 0), reply, 200);
            for (int i = 0; i < roundTrips; i++) {
                exchange(ch, "rtwarm-" + (i % 16), chunk, in, reply);
            }
        }

        /**
         * {@code chunks} PUTs of keys {@code prefix<i>}, a HEALTH to know they were all read, then EXIST+GET+HEALTH
         * for each: the PUT phase's GB/s and the round trips' GB/s.
         */
        double[] run(int chunks, String prefix) throws IOException {
            long t0 = System.nanoTime();
            for (int i = 0; i < chunks; i++) {
                write(ch, header(1, prefix + i, chunk));
                write(ch, payloads[i % payloads.length].duplicate());
            }
            roundTrip(ch, header(5, "", 0), reply, 200);
            long t1 = System.nanoTime();
            for (int i = 0; i < chunks; i++) {
                exchange(ch, prefix + i, chunk, in, reply);
            }
            long t2 = System.nanoTime();
            double bytes = (double) chunks * chunk;
            return new double[] {bytes / (t1 - t0), bytes / (t2 - t1)};
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    /**
     * What LMCServerConnector does for one chunk: EXIST, then GET (its {@code chunk} payload bytes read into
     * {@code in}), then HEALTH, each waiting for its reply.
     */
    private static void exchange(SocketChannel ch, String key, int chunk, ByteBuffer in, ByteBuffer reply)
            throws IOException {
        roundTrip(ch, header(3, key, 0), reply, 200);
        roundTrip(ch, header(2, key, 0), reply, 200);
        int length = reply.getInt(4);
        if (length != chunk) {
            throw new IllegalStateException("GET " + key + " answered " + length + " bytes");
        }
        in.clear();
        while (in.hasRemaining()) {
            if (ch.read(in) < 0) {
                throw new IOException("closed mid-payload");
            }
        }
        roundTrip(ch, header(5, "", 0), reply, 200);
    }

    private static void roundTrip(SocketChannel ch, ByteBuffer request, ByteBuffer reply, int expect)
            throws IOException {
        write(ch, request);
        reply.clear();
        while (reply.hasRemaining()) {
            if (ch.read(reply) < 0) {
                throw new IOException("closed");
            }
        }
        int code = reply.getInt(0);
        if (code != expect) {
            throw new IllegalStateException("answer " + code + " to command " + request.getInt(0));
        }
    }

    private static void write(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    static ByteBuffer header(int command, String key, int length) {
        ByteBuffer b = ByteBuffer.allocate(REQUEST).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(command).putInt(length).putInt(1).putInt(3).putInt(0).putInt(1).putInt(2).putInt(3).putInt(4);
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        b.put(k);
        while (b.hasRemaining()) {
            b.put((byte) ' ');
        }
        return b.flip();
    }

    /** Raw loopback: the lm:// bytes answered by a thread that stores nothing. One connection at a time. */
    private static final class RawServer implements AutoCloseable {
        private final ServerSocketChannel server;
        private final Thread thread;

        /**
         * {@code distinctBytes} 0: every PUT into one buffer, every GET answered from one other buffer (both stay in
         * the CPU's caches); above 0: each PUT into its own place of that many bytes, and a GET answered from the
         * place its key's PUT went to, as a store serves the chunks it holds (memory that is not hot).
         */
        RawServer(int chunk, long distinctBytes) throws IOException {
            server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            int slots = (int) Math.max(1, distinctBytes / chunk);
            thread = new Thread(() -> {
                ByteBuffer head = ByteBuffer.allocate(REQUEST).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer[] sinks = new ByteBuffer[slots];
                for (int i = 0; i < slots; i++) {
                    sinks[i] = ByteBuffer.allocateDirect(chunk);
                }
                ByteBuffer value = ByteBuffer.allocateDirect(chunk);
                new Random(2).ints(chunk / 4).forEach(v -> {
                    if (value.remaining() >= 4) {
                        value.putInt(v);
                    }
                });
                value.clear();
                while (true) {
                    try (SocketChannel c = server.accept()) {
                        c.socket().setTcpNoDelay(true);
                        serve(c, head, sinks, value, chunk);
                    } catch (IOException e) {
                        if (!server.isOpen()) {
                            return;
                        }
                    }
                }
            }, "raw-loopback");
            thread.setDaemon(true);
            thread.start();
        }

        private int next;
        /** The length of each key's PUT (a GET answers that many bytes). */
        private final java.util.Map<String, Integer> lengths = new java.util.HashMap<>();
        /** Where each key's PUT went (distinct memory only). */
        private final java.util.Map<String, ByteBuffer> placed = new java.util.HashMap<>();

        private static String key(ByteBuffer head) {
            byte[] k = new byte[REQUEST - 36];
            head.get(36, k);
            return new String(k, StandardCharsets.UTF_8).strip();
        }

        private void serve(SocketChannel c, ByteBuffer head, ByteBuffer[] sinks, ByteBuffer value, int chunk)
                throws IOException {
            ByteBuffer reply = ByteBuffer.allocate(REPLY).order(ByteOrder.LITTLE_ENDIAN);
            while (true) {
                head.clear();
                while (head.hasRemaining()) {
                    if (c.read(head) < 0) {
                        return;
                    }
                }
                int command = head.getInt(0);
                int length = head.getInt(4);
                if (command == 1) {
                    ByteBuffer sink = sinks[next++ % sinks.length];
                    String key = key(head);
                    lengths.put(key, length);
                    if (sinks.length > 1) {
                        placed.put(key, sink);
                    }
                    sink.clear().limit(length);
                    while (sink.hasRemaining()) {
                        if (c.read(sink) < 0) {
                            return;
                        }
                    }
                    continue;
                }
                String key = command == 2 ? key(head) : null;
                int found = command == 2 ? lengths.getOrDefault(key, chunk) : 0;
                reply.clear();
                reply.putInt(200).putInt(found).putInt(1).putInt(3).putInt(1).putInt(2).putInt(3)
                        .putInt(4).putInt(0).flip();
                write(c, reply);
                if (command == 2) {
                    ByteBuffer from = sinks.length > 1 ? placed.get(key) : null;
                    write(c, (from != null ? from : value).duplicate().clear().limit(found));
                }
            }
        }

        int port() throws IOException {
            return ((InetSocketAddress) server.getLocalAddress()).getPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
