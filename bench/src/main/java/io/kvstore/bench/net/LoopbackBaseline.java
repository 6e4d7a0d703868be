package io.kvstore.bench.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The raw loopback TCP baseline (an iperf3 equivalent in-process): {@code n} connections, each a sender thread
 * writing direct buffers and a receiver thread reading them into a direct buffer, for a fixed time. What the
 * kernel carries with no protocol at all. The senders either write one buffer again and again (iperf3: the
 * bytes come from the CPU cache) or cycle through the benchmark's values (the bytes come from wherever the
 * values are: memory, once the working set exceeds the cache, as for the server that serves them). With
 * {@code unix} the same over a Unix domain socket (in a temporary directory): the limit of the daemon's
 * {@code dataSocket}, so that a run over it compares with like.
 */
public final class LoopbackBaseline {

    private LoopbackBaseline() {
    }

    /** Bytes per second received, the senders writing one {@code chunk}-byte buffer over and over (iperf3). */
    public static double run(int connections, int chunk, long millis) throws Exception {
        return run(false, connections, chunk, millis);
    }

    /** The same over loopback TCP ({@code unix} false) or a Unix domain socket. */
    public static double run(boolean unix, int connections, int chunk, long millis) throws Exception {
        return run(unix, connections, List.of(ByteBuffer.allocateDirect(chunk)), millis);
    }

    /** Bytes per second received, each sender writing {@code values} (direct buffers) in turn, from its own start. */
    static double run(boolean unix, int connections, List<ByteBuffer> values, long millis) throws Exception {
        int chunk = values.get(0).capacity();
        Path dir = unix ? Files.createTempDirectory("kvstore-uds-baseline") : null;
        try (ServerSocketChannel ss = unix ? ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                : ServerSocketChannel.open()) {
            ss.bind(unix ? UnixDomainSocketAddress.of(dir.resolve("s"))
                    : new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            AtomicBoolean stop = new AtomicBoolean();
            LongAdder received = new LongAdder();
            List<Thread> threads = new ArrayList<>();
            List<SocketChannel> sockets = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                SocketChannel client = SocketChannel.open(ss.getLocalAddress());
                SocketChannel server = ss.accept();
                sockets.add(client);
                sockets.add(server);
                int first = i * values.size() / connections;
                threads.add(new Thread(() -> send(server, values, first, stop), "loopback-send"));
                threads.add(new Thread(() -> receive(client, chunk, stop, received), "loopback-recv"));
            }
            threads.forEach(Thread::start);
            Thread.sleep(Math.min(500, millis / 4)); // warm up
            long b0 = received.sum();
            long t0 = System.nanoTime();
            Thread.sleep(millis);
            long bytes = received.sum() - b0;
            double secs = (System.nanoTime() - t0) / 1e9;
            stop.set(true);
            for (SocketChannel s : sockets) {
                s.close();
            }
            for (Thread t : threads) {
                t.join(2000);
            }
            return bytes / secs;
        } finally {
            if (dir != null) {
                Files.deleteIfExists(dir.resolve("s"));
                Files.deleteIfExists(dir);
            }
        }
    }

    private static void send(SocketChannel ch, List<ByteBuffer> values, int first, AtomicBoolean stop) {
        int next = first;
        try {
            while (!stop.get()) {
                ByteBuffer b = values.get(next).duplicate().clear();
                next = (next + 1) % values.size();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        } catch (IOException closed) {
            // stop
        }
    }

    private static void receive(SocketChannel ch, int chunk, AtomicBoolean stop, LongAdder received) {
        ByteBuffer b = ByteBuffer.allocateDirect(chunk);
        try {
            while (!stop.get()) {
                b.clear();
                int n = ch.read(b);
                if (n < 0) {
                    return;
                }
                received.add(n);
            }
        } catch (IOException closed) {
            // stop
        }
    }
}
