package io.kvstore.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link KvStoreClient} connects.
 *
 * @param host            server host (ignored with {@code socketPath})
 * @param port            server data port (ignored with {@code socketPath})
 * @param token           auth token sent in HELLO ("" for none)
 * @param connectTimeout  TCP connect + HELLO
 * @param requestTimeout  a unary request's answer; for a stream, the wait for each next block
 * @param maxFrameBytes   largest frame the client accepts
 * @param streamWindow    blocks a stream buffers before the client stops reading its connection (backpressure)
 * @param sharedMemory    ask for same-host shared-memory reads in HELLO and use them when the server offers
 *                        them (default true; the TCP path is used otherwise, with identical results)
 * @param spinWait        how long a blocking call spins (on {@link Thread#onSpinWait}) for its answer before it
 *                        parks its thread (default {@link #DEFAULT_SPIN_WAIT}; 0 parks at once). A small unary
 *                        call (LOOKUP) is answered in tens of microseconds; spinning that long saves the wake-up
 *                        of a parked thread (and of its idle core), at the price of that much CPU per call.
 * @param directCalls     blocking LOOKUPs use plain sockets on which the calling thread writes and reads itself
 *                        (a small pool per namespace) instead of the client's event loop (default true): two
 *                        thread wake-ups per call instead of four
 * @param socketPath      null: connect to {@code host:port} over TCP; otherwise the server's Unix domain socket
 *                        (its {@code dataSocket} setting), used by every connection of the client instead of TCP:
 *                        same protocol, same results, no TCP/IP stack on the way (the server also offers shared
 *                        memory to such a client, which is on its host by construction)
 */
public record ClientOptions(String host, int port, String token, Duration connectTimeout, Duration requestTimeout,
                            int maxFrameBytes, int streamWindow, boolean sharedMemory, Duration spinWait,
                            boolean directCalls, Path socketPath) {

    /** Options over TCP. */
    public ClientOptions(String host, int port, String token, Duration connectTimeout, Duration requestTimeout,
                         int maxFrameBytes, int streamWindow, boolean sharedMemory, Duration spinWait,
                         boolean directCalls) {
        this(host, port, token, connectTimeout, requestTimeout, maxFrameBytes, streamWindow, sharedMemory, spinWait,
                directCalls, null);
    }

    /** Options with shared memory on and no spinning. */
    public ClientOptions(String host, int port, String token, Duration connectTimeout, Duration requestTimeout,
                         int maxFrameBytes, int streamWindow) {
        this(host, port, token, connectTimeout, requestTimeout, maxFrameBytes, streamWindow, true, DEFAULT_SPIN_WAIT,
                true);
    }

    /** Default {@code spinWait}: about two LOOKUP round trips on an idle host. */
    public static final Duration DEFAULT_SPIN_WAIT = Duration.ofNanos(50_000);

    public ClientOptions {
        Objects.requireNonNull(host, "host");
        token = token == null ? "" : token;
        if (socketPath == null && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException("port must be in 1..65535, was " + port);
        }
        spinWait = spinWait == null ? Duration.ZERO : spinWait;
        if (spinWait.isNegative()) {
            throw new IllegalArgumentException("spinWait must be >= 0, was " + spinWait);
        }
        if (streamWindow < 1) {
            throw new IllegalArgumentException("streamWindow must be >= 1, was " + streamWindow);
        }
    }

    /**
     * Defaults: no token, 5 s connect, 30 s requests, 64 MiB frames, 16-block stream window, shared memory and
     * direct calls on, 50 µs spin.
     */
    public static ClientOptions of(String host, int port) {
        return new ClientOptions(host, port, "", Duration.ofSeconds(5), Duration.ofSeconds(30), 64 << 20, 16);
    }

    /** Defaults (as {@link #of}) over the server's Unix domain socket at {@code socketPath}. */
    public static ClientOptions unix(Path socketPath) {
        return new ClientOptions("localhost", 0, "", Duration.ofSeconds(5), Duration.ofSeconds(30), 64 << 20, 16, true,
                DEFAULT_SPIN_WAIT, true, Objects.requireNonNull(socketPath, "socketPath"));
    }

    /** The same options over the Unix domain socket at {@code path}, or over TCP if {@code path} is null. */
    public ClientOptions withSocketPath(Path path) {
        return new ClientOptions(host, port, token, connectTimeout, requestTimeout, maxFrameBytes, streamWindow,
                sharedMemory, spinWait, directCalls, path);
    }

    /** Where the server is, for messages: {@code host:port} or {@code unix:/path}. */
    public String address() {
        return socketPath == null ? host + ":" + port : "unix:" + socketPath;
    }

    /** The same options with shared-memory reads allowed or not. */
    public ClientOptions withSharedMemory(boolean on) {
        return new ClientOptions(host, port, token, connectTimeout, requestTimeout, maxFrameBytes, streamWindow, on, spinWait,
                directCalls, socketPath);
    }

    public ClientOptions withToken(String t) {
        return new ClientOptions(host, port, t, connectTimeout, requestTimeout, maxFrameBytes, streamWindow, sharedMemory,
                spinWait, directCalls, socketPath);
    }

    public ClientOptions withRequestTimeout(Duration d) {
        return new ClientOptions(host, port, token, connectTimeout, d, maxFrameBytes, streamWindow, sharedMemory, spinWait,
                directCalls, socketPath);
    }

    public ClientOptions withStreamWindow(int blocks) {
        return new ClientOptions(host, port, token, connectTimeout, requestTimeout, maxFrameBytes, blocks, sharedMemory,
                spinWait, directCalls, socketPath);
    }

    /** The same options with blocking calls spinning up to {@code d} before they park (see {@code spinWait}). */
    public ClientOptions withSpinWait(Duration d) {
        return new ClientOptions(host, port, token, connectTimeout, requestTimeout, maxFrameBytes, streamWindow,
                sharedMemory, d, directCalls, socketPath);
    }

    /** The same options with blocking LOOKUPs on direct sockets or not (see {@code directCalls}). */
    public ClientOptions withDirectCalls(boolean on) {
        return new ClientOptions(host, port, token, connectTimeout, requestTimeout, maxFrameBytes, streamWindow,
                sharedMemory, spinWait, on, socketPath);
    }
}
