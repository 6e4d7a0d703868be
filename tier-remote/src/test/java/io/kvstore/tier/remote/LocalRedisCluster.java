package io.kvstore.tier.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away Redis Cluster on loopback for tests: {@code masters} masters with one replica each, started from
 * Debian's {@code redis-server} in a temp dir with persistence off ({@code --save "" --appendonly no}), joined
 * with {@code redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes}. {@link #close()} SIGKILLs every
 * node and deletes the directory; a JVM shutdown hook does the same if a test run dies first.
 *
 * <p>Start-up takes 1-3 s. {@code cluster-node-timeout} is 1000 ms so that a killed master's replica is promoted
 * within a few seconds; {@code cluster-require-full-coverage no} keeps the other shards serving meanwhile (as a
 * cache should, see docs/remote-tier.md).
 */
public final class LocalRedisCluster implements AutoCloseable {

    /** One redis-server process. */
    public static final class Node {
        final int port;
        final Process process;

        Node(int port, Process process) {
            this.port = port;
            this.process = process;
        }

        public int port() {
            return port;
        }

        public String address() {
            return "127.0.0.1:" + port;
        }
    }

    private final Path dir;
    private final List<Node> nodes = new ArrayList<>();
    private final Thread hook;
    private volatile boolean closed;

    private LocalRedisCluster(Path dir) {
        this.dir = dir;
        this.hook = new Thread(this::kill, "redis-cluster-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts {@code masters} masters and as many replicas; waits until the cluster is ok and replicas are in sync.
     * Tries twice: a port found free may be taken by another process before redis-server binds it.
     */
    public static LocalRedisCluster start(int masters, String maxmemory, String maxmemoryPolicy) throws Exception {
        requireBinary("redis-server");
        requireBinary("redis-cli");
        try {
            return startOnce(masters, maxmemory, maxmemoryPolicy);
        } catch (IllegalStateException e) {
            System.out.println("redis cluster start failed, retrying once on other ports: " + e.getMessage());
            return startOnce(masters, maxmemory, maxmemoryPolicy);
        }
    }

    private static LocalRedisCluster startOnce(int masters, String maxmemory, String maxmemoryPolicy)
            throws Exception {
        long t0 = System.nanoTime();
        LocalRedisCluster c = new LocalRedisCluster(Files.createTempDirectory("kvstore-redis-cluster"));
        try {
            List<Integer> ports = freePorts(masters * 2);
            for (int port : ports) {
                c.nodes.add(c.startNode(port, maxmemory, maxmemoryPolicy));
            }
            for (Node n : c.nodes) {
                awaitPing(n.port, 5_000);
            }
            List<String> cmd = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            c.nodes.forEach(n -> cmd.add(n.address()));
            cmd.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            String out = run(cmd, 30);
            if (!out.contains("[OK] All 16384 slots covered")) {
                throw new IllegalStateException("redis-cli --cluster create failed:\n" + out);
            }
            c.awaitHealthy(30_000);
            System.out.printf("redis cluster of %d nodes up in %d ms at %s%n", c.nodes.size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), c.seeds());
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    private Node startNode(int port, String maxmemory, String policy) throws IOException {
        Path d = Files.createDirectories(dir.resolve(Integer.toString(port)));
        ProcessBuilder pb = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--protected-mode", "no", "--daemonize", "no", "--dir", d.toString(), "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000",
                "--cluster-require-full-coverage", "no", "--repl-diskless-sync-delay", "0", "--save", "",
                "--appendonly", "no", "--maxmemory", maxmemory, "--maxmemory-policy", policy,
                "--logfile", d.resolve("redis.log").toString());
        pb.redirectErrorStream(true).redirectOutput(d.resolve("stdout.log").toFile());
        return new Node(port, pb.start());
    }

    /** Seeds for the client: every node's {@code 127.0.0.1:port}. */
    public List<String> seeds() {
        return nodes.stream().map(Node::address).toList();
    }

    /** The node that is master for {@code slot} right now, per {@code CLUSTER NODES} asked of a live node. */
    public Node masterOfSlot(int slot) throws Exception {
        for (String line : clusterNodes().split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 9 || !f[2].contains("master") || f[2].contains("fail")) {
                continue;
            }
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // a slot being migrated
                }
                String[] range = f[i].split("-");
                int lo = Integer.parseInt(range[0]);
                int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
                if (slot >= lo && slot <= hi) {
                    int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
                    return nodes.stream().filter(n -> n.port == port).findFirst().orElseThrow();
                }
            }
        }
        throw new IllegalStateException("no master serves slot " + slot);
    }

    /** SIGKILLs one node, as a crash would. */
    public void kill(Node n) throws InterruptedException {
        n.process.destroyForcibly();
        n.process.waitFor(5, TimeUnit.SECONDS);
    }

    /** Waits until every live node reports {@code cluster_state:ok} and every live replica is in sync. */
    public void awaitHealthy(long timeoutMillis) throws Exception {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        String last = "";
        while (System.nanoTime() < until) {
            boolean ok = true;
            for (Node n : nodes) {
                if (!n.process.isAlive()) {
                    continue;
                }
                last = n.address() + ": " + cli(n.port, "cluster", "info") + cli(n.port, "info", "replication");
                if (!last.contains("cluster_state:ok") || (last.contains("role:slave")
                        && !last.contains("master_link_status:up"))) {
                    ok = false;
                    break;
                }
            }
            if (ok) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("cluster not healthy after " + timeoutMillis + " ms; last answer:\n" + last);
    }

    private String clusterNodes() throws Exception {
        for (Node n : nodes) {
            if (n.process.isAlive()) {
                return cli(n.port, "cluster", "nodes");
            }
        }
        throw new IllegalStateException("no live node");
    }

    /** Runs {@code redis-cli -p port args...} and returns its output. */
    public static String cli(int port, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        return run(cmd, 5);
    }

    private static String run(List<String> cmd, int timeoutSeconds) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + cmd);
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static void awaitPing(int port, long timeoutMillis) throws Exception {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                OutputStream o = s.getOutputStream();
                o.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                o.flush();
                byte[] buf = new byte[7];
                int n = s.getInputStream().read(buf);
                if (n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            if (System.nanoTime() > until) {
                throw new IllegalStateException("redis-server on port " + port + " did not start");
            }
            Thread.sleep(20);
        }
    }

    /** Ports p with p and p + 10000 (the cluster bus) free now. */
    private static List<Integer> freePorts(int n) throws IOException {
        List<Integer> out = new ArrayList<>();
        while (out.size() < n) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            if (!out.contains(p) && free(p) && free(p + 10_000)) {
                out.add(p);
            }
        }
        return out;
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void requireBinary(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, name))) {
                return;
            }
        }
        throw new IllegalStateException(name + " not found on PATH: install Debian's redis-server package "
                + "(.ci/run does)");
    }

    private void kill() {
        for (Node n : nodes) {
            n.process.destroyForcibly();
        }
        for (Node n : nodes) {
            try {
                n.process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: it is a temp dir
        }
    }

    /** Kills every node and deletes the directory; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
