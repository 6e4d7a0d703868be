package io.kvstore.client;

import java.util.List;

import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The blocks of one GET, delivered in order as they arrive. Backpressure: at most {@code streamWindow} blocks
 * wait here; beyond that the client stops reading the connection (and the server, finding the socket full,
 * pauses the stream) until the consumer catches up. {@link #next()} waits up to the request timeout for each
 * block and throws {@link KvStoreException} if the server answered an error or the connection closed.
 *
 * <p>A prefix longer than the server's {@code maxKeysPerRequest} is asked for in requests of that many keys, each
 * sent when the consumer reaches the end of the one before and only if that one was all hits; the stream goes on
 * through them in order.
 *
 * <p>The consumer owns each returned {@link ReceivedBlock} and must close it. {@link #close()} (idempotent)
 * releases blocks not yet taken; the rest of the stream is then read and dropped. One consumer thread.
 */
public final class BlockStream implements Iterator<ReceivedBlock>, AutoCloseable {

    private static final Object END = new Object();

    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Duration timeout;
    private final int window;
    private final ClientConnection conn;
    private final long requestId;
    private Object head;
    private volatile boolean closed;
    private volatile boolean paused;
    private volatile int total = -1;
    private int prefilled;
    private int taken;
    /** Where the stream goes on after its last block (a longer prefix's next request), or null. */
    private java.util.function.Supplier<BlockStream> next;
    private int nextAfter;
    private BlockStream successor;

    BlockStream(ClientConnection conn, long requestId, Duration timeout, int window) {
        this.conn = conn;
        this.requestId = requestId;
        this.timeout = timeout;
        this.window = window;
    }

    /** A stream holding only {@code blocks} (all read from shared memory), already ended. */
    static BlockStream completed(ClientConnection conn, List<ReceivedBlock> blocks, Duration timeout, int window) {
        BlockStream s = new BlockStream(conn, 0, timeout, window);
        blocks.forEach(s::prefill);
        s.onEnd(0);
        return s;
    }

    /** Adds a block ahead of the server's (before the request is sent). */
    void prefill(ReceivedBlock b) {
        queue.add(b);
        prefilled++;
    }

    /**
     * Goes on with {@code next}'s blocks after this stream's last, if this one delivered {@code expected} blocks
     * (the whole request: the prefix may go on); its request is sent only then. Before the first block is taken.
     */
    void continueWith(int expected, java.util.function.Supplier<BlockStream> next) {
        this.nextAfter = expected;
        this.next = next;
    }

    // ---- producer side (event loop) ----

    void onBlock(ReceivedBlock b) {
        if (closed) {
            b.close();
            return;
        }
        queue.add(b);
        if (closed && queue.remove(b)) { // closed meanwhile: close() may have drained the queue before this add
            b.close();
            return;
        }
        if (queue.size() >= window) {
            // Dekker-style: publish 'paused', then re-check the queue; the consumer takes, then checks 'paused'.
            // One of the two sees the other's write, so a drained queue never leaves the connection paused.
            paused = true;
            conn.pauseReading();
            if (queue.size() <= window / 2) {
                resumeOnLoop();
            }
        }
    }

    private void resumeOnLoop() {
        if (paused && (closed || queue.size() <= window / 2)) {
            paused = false;
            conn.resumeReading();
        }
    }

    void onEnd(int blocks) {
        total = blocks < 0 ? blocks : prefilled + blocks;
        queue.add(END);
    }

    void onError(KvStoreException e) {
        queue.add(e);
    }

    // ---- consumer side ----

    @Override
    public boolean hasNext() {
        if (successor != null) {
            return successor.hasNext();
        }
        if (head == null) {
            head = poll();
        }
        if (head instanceof KvStoreException e) {
            head = null;
            throw e;
        }
        if (head == END && next != null && total == nextAfter && !closed) {
            successor = next.get();
            next = null;
            return successor.hasNext();
        }
        return head != END;
    }

    @Override
    public ReceivedBlock next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the stream ended after " + taken + " blocks");
        }
        if (successor != null) {
            taken++;
            return successor.next();
        }
        ReceivedBlock b = (ReceivedBlock) head;
        head = null;
        taken++;
        if (paused && queue.size() <= window / 2) {
            conn.channel().eventLoop().execute(this::resumeOnLoop);
        }
        return b;
    }

    /** Number of blocks the server sent, once the stream has ended; -1 before. */
    public int totalBlocks() {
        if (successor != null) {
            int rest = successor.totalBlocks();
            return rest < 0 || total < 0 ? -1 : total + rest;
        }
        return next != null && total == nextAfter ? -1 : total; // the next request may still come
    }

    private Object poll() {
        try {
            Object o = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (o == null) {
                throw new KvStoreException.Timeout("no block of GET #" + requestId + " within " + timeout
                        + " (after " + taken + " blocks)");
            }
            return o;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvStoreException("interrupted while waiting for a block", e);
        }
    }

    @Override
    public void close() {
        if (successor != null) {
            successor.close();
        }
        next = null;
        if (closed) {
            return;
        }
        closed = true;
        if (head instanceof ReceivedBlock b) {
            b.close();
        }
        head = END;
        for (Object o; (o = queue.poll()) != null; ) {
            if (o instanceof ReceivedBlock b) {
                b.close();
            }
        }
        try {
            conn.channel().eventLoop().execute(this::resumeOnLoop);
        } catch (RejectedExecutionException clientClosed) {
            // the client is closed: there is no reading to resume
        }
    }
}
