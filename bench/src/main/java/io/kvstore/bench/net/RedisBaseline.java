package io.kvstore.bench.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Debian {@code redis-server} child process (persistence off, loopback, a free port, as many I/O threads as the
 * daemon it is compared with has event loops) and a minimal RESP client that reads GET replies straight into a
 * direct buffer, so that the comparison measures the servers, not a client library. {@link #close()} stops the
 * process.
 */
final class RedisBaseline implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path dir;

    private RedisBaseline(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /**
     * Starts redis-server with {@code ioThreads} I/O threads ({@code io-threads}, reads too; 1 = Redis's default
     * single thread), installing the Debian package first if it is missing and we may.
     */
    static RedisBaseline start(int ioThreads) throws Exception {
        String exe = findRedis();
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("kvstore-bench-redis");
        List<String> command = new java.util.ArrayList<>(List.of(exe, "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no",
                "--daemonize", "no", "--dir", dir.toString(), "--logfile", "", "--loglevel", "warning",
                "--client-output-buffer-limit", "normal 0 0 0", "--proto-max-bulk-len", "64mb"));
        if (ioThreads > 1) {
            command.addAll(List.of("--io-threads", Integer.toString(ioThreads), "--io-threads-do-reads", "yes"));
        }
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        RedisBaseline r = new RedisBaseline(p, port, dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (SocketChannel ch = r.connect()) {
                r.command(ch, ByteBuffer.allocateDirect(1 << 16), "PING");
                return r;
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !p.isAlive()) {
                    r.close();
                    throw new IOException("redis-server did not start; see " + dir.resolve("redis.log"), e);
                }
                Thread.sleep(50);
            }
        }
    }

    private static String findRedis() throws Exception {
        for (String c : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        System.err.println("redis-server missing: apt-get install -y redis-server");
        Process p = new ProcessBuilder("apt-get", "install", "-y", "redis-server").inheritIO().start();
        if (p.waitFor() != 0 || !Files.isExecutable(Path.of("/usr/bin/redis-server"))) {
            throw new IllegalStateException("redis-server is not installed and apt-get could not install it");
        }
        return "/usr/bin/redis-server";
    }

    int port() {
        return port;
    }

    SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        ch.socket().setTcpNoDelay(true);
        return ch;
    }

    /** SET key value for each value. */
    void load(List<byte[]> values) throws IOException {
        try (SocketChannel ch = connect()) {
            ByteBuffer in = ByteBuffer.allocateDirect(1 << 16).limit(0);
            for (int i = 0; i < values.size(); i++) {
                byte[] v = values.get(i);
                byte[] key = ("v" + i).getBytes(StandardCharsets.US_ASCII);
                String head = "*3\r\n$3\r\nSET\r\n$" + key.length + "\r\n" + new String(key, StandardCharsets.US_ASCII)
                        + "\r\n$" + v.length + "\r\n";
                writeAll(ch, ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
                writeAll(ch, ByteBuffer.wrap(v));
                writeAll(ch, ByteBuffer.wrap("\r\n".getBytes(StandardCharsets.US_ASCII)));
                String reply = readLine(ch, in);
                if (!reply.equals("+OK")) {
                    throw new IOException("SET answered " + reply);
                }
            }
        }
    }

    /**
     * {@code connections} threads, each sending batches of {@code depth} pipelined GETs of consecutive keys from a
     * random start (the key pattern of the daemon's GET of {@code depth} consecutive blocks) and reading the values;
     * returns bytes per second of values received.
     */
    double getThroughput(int connections, int values, int valueBytes, int depth, long millis) throws Exception {
        return Measure.throughput("redis-get", connections, millis, (c, stop, bytes) -> {
            try (SocketChannel ch = connect()) {
                ByteBuffer in = ByteBuffer.allocateDirect(1 << 16).limit(0);
                ByteBuffer value = ByteBuffer.allocateDirect(valueBytes + 2);
                java.util.SplittableRandom r = new java.util.SplittableRandom(c);
                StringBuilder sb = new StringBuilder();
                while (!stop.get()) {
                    sb.setLength(0);
                    int from = r.nextInt(values - depth + 1);
                    for (int i = 0; i < depth; i++) {
                        String k = "v" + (from + i);
                        sb.append("*2\r\n$3\r\nGET\r\n$").append(k.length()).append("\r\n").append(k).append("\r\n");
                    }
                    writeAll(ch, ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.US_ASCII)));
                    for (int i = 0; i < depth; i++) {
                        bytes.add(readBulk(ch, in, value));
                    }
                }
            }
        });
    }

    private static long readBulk(SocketChannel ch, ByteBuffer in, ByteBuffer value) throws IOException {
        String head = readLine(ch, in);
        if (head.charAt(0) != '$') {
            throw new IOException("unexpected reply " + head);
        }
        int len = Integer.parseInt(head.substring(1));
        if (len < 0) {
            return 0;
        }
        value.clear().limit(len + 2);
        int take = Math.min(in.remaining(), value.remaining());
        ByteBuffer part = in.slice();
        part.limit(take);
        value.put(part);
        in.position(in.position() + take);
        while (value.hasRemaining()) {
            if (ch.read(value) < 0) {
                throw new IOException("redis closed");
            }
        }
        return len;
    }

    private String command(SocketChannel ch, ByteBuffer in, String cmd) throws IOException {
        writeAll(ch, ByteBuffer.wrap(("*1\r\n$" + cmd.length() + "\r\n" + cmd + "\r\n").getBytes(StandardCharsets.US_ASCII)));
        return readLine(ch, in.clear().flip());
    }

    /** Reads one CRLF-terminated line; {@code in} is in read mode and keeps what follows the line. */
    private static String readLine(SocketChannel ch, ByteBuffer in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            while (in.hasRemaining()) {
                char c = (char) in.get();
                if (c == '\n' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
                    sb.setLength(sb.length() - 1);
                    return sb.toString();
                }
                sb.append(c);
            }
            in.clear();
            if (ch.read(in) < 0) {
                throw new IOException("redis closed");
            }
            in.flip();
        }
    }

    private static void writeAll(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Path dir() {
        return dir;
    }
}
