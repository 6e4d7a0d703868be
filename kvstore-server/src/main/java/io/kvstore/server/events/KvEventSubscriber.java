package io.kvstore.server.events;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads one publisher's KV-event stream (a kvstore daemon or a vLLM engine: the same format) in sequence order on
 * a thread of its own, and hands each decoded batch to a {@link Handler}. A gap in the sequence numbers is filled
 * from the publisher's replay socket when it has one; batches that neither arrived nor could be replayed (the
 * publisher dropped events, or they left its buffer) are counted as lost and reported to the handler, which should
 * then distrust what it knows of this publisher. The first batch received may be any: the subscriber replays from
 * sequence 0 to catch up with what it missed before it connected (a daemon's stream starts with
 * {@code AllBlocksCleared} and its recovered blocks).
 */
public final class KvEventSubscriber implements AutoCloseable {

    /** Receives batches in sequence order, on the subscriber's thread. */
    public interface Handler {
        /** One batch. */
        void onBatch(long sequence, KvEventCodec.DecodedBatch batch);

        /** Batches {@code from..to} were lost for good. */
        default void onLost(long from, long to) {
        }

        /**
         * The publisher started over (its sequence went back to a lower number: a restarted daemon or engine), or
         * {@link #reset()} was called: what it said before no longer holds. The next batches replay its new stream
         * from 0.
         */
        default void onRestart() {
        }
    }

    private static final long REPLAY_TIMEOUT_MILLIS = 2_000;
    private static final long RECONNECT_AFTER_NANOS = 3_000_000_000L;
    private static final int REPLAY_ATTEMPTS = 3;

    private final String endpoint;
    private final String replayEndpoint;
    private final Handler handler;
    private final ZContext context = new ZContext(1);
    private final Thread thread;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong replayed = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final byte[] topic;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KvEventSubscriber.class);
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile boolean running = true;
    private volatile boolean resetRequested;
    private long next = -1;
    private long lastLive = -1; // the last sequence number received live (not replayed) // the next sequence number to hand over; -1 until the first batch
    private final TreeMap<Long, byte[]> pending = new TreeMap<>();

    /**
     * Starts reading.
     *
     * @param endpoint       the publisher's PUB address
     * @param replayEndpoint its ROUTER replay address, or null/empty for none
     * @param topic          the topic to subscribe to ("" = all)
     */
    public KvEventSubscriber(String endpoint, String replayEndpoint, String topic, Handler handler) {
        this.endpoint = endpoint;
        this.replayEndpoint = replayEndpoint == null || replayEndpoint.isEmpty() ? null : replayEndpoint;
        this.handler = handler;
        this.topic = topic.getBytes(StandardCharsets.UTF_8);
        this.thread = new Thread(this::run, "kv-events-sub-" + endpoint);
        thread.setDaemon(true);
        thread.start();
    }

    /** The PUB address this subscriber reads. */
    public String endpoint() {
        return endpoint;
    }

    /** System.nanoTime() when a batch last arrived. */
    public long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** Times the SUB socket was connected afresh after hearing nothing for 3 s. */
    public long reconnects() {
        return reconnects.get();
    }

    /** Batches handed to the handler. */
    public long batches() {
        return batches.get();
    }

    /** Batches recovered from the replay socket. */
    public long replayed() {
        return replayed.get();
    }

    /** Batches lost for good. */
    public long lost() {
        return lost.get();
    }

    /** Payloads that did not decode (skipped). */
    public long malformed() {
        return malformed.get();
    }

    /** The next sequence number expected, -1 before the first batch. */
    public long nextSequence() {
        return next;
    }

    /** A SUB socket connected to the publisher, created on the subscriber's thread (the only one that uses it). */
    private ZMQ.Socket connect() {
        ZMQ.Socket sub = context.createSocket(SocketType.SUB);
        sub.setLinger(0);
        sub.setRcvHWM(100_000);
        sub.subscribe(topic);
        sub.connect(endpoint);
        return sub;
    }

    private void run() {
        ZMQ.Socket sub = connect();
        ZMQ.Poller poller = context.createPoller(1);
        poller.register(sub, ZMQ.Poller.POLLIN);
        long connectedNanos = System.nanoTime();
        while (running && !Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            if (now - lastHeardNanos > RECONNECT_AFTER_NANOS && now - connectedNanos > RECONNECT_AFTER_NANOS) {
                // nothing heard for a while (a daemon sends a heartbeat every second): connect afresh, in case the
                // connection or its subscription was lost on the way
                poller.unregister(sub);
                context.destroySocket(sub);
                sub = connect();
                poller.register(sub, ZMQ.Poller.POLLIN);
                connectedNanos = now;
                reconnects.incrementAndGet();
            }
            try {
                if (poller.poll(100) <= 0) {
                    continue;
                }
            } catch (RuntimeException e) {
                if (!running) {
                    return; // closed
                }
                errors.incrementAndGet();
                LOG.warn("kv events from {}: poll failed ({}); retrying", endpoint, e.toString());
                continue;
            }
            byte[] topicFrame = sub.recv(ZMQ.DONTWAIT);
            if (topicFrame == null) {
                continue;
            }
            byte[] seqFrame = sub.hasReceiveMore() ? sub.recv() : null;
            byte[] payload = sub.hasReceiveMore() ? sub.recv() : null;
            while (sub.hasReceiveMore()) {
                sub.recv();
            }
            if (seqFrame == null || seqFrame.length != Long.BYTES || payload == null) {
                malformed.incrementAndGet();
                continue;
            }
            lastHeardNanos = System.nanoTime();
            try {
                receive(ByteBuffer.wrap(seqFrame).getLong(), payload);
            } catch (RuntimeException e) {
                errors.incrementAndGet();
                LOG.warn("kv events from {}: {}", endpoint, e.toString(), e);
            }
        }
    }

    /**
     * Forgets where the stream was (call when the publisher is presumed dead): the next batch that arrives is taken
     * as the start of a new stream, caught up from sequence 0 by replay.
     */
    public void reset() {
        resetRequested = true;
    }

    private void receive(long seq, byte[] payload) {
        if (resetRequested) {
            resetRequested = false;
            next = -1;
            lastLive = -1;
            pending.clear();
        } else if (lastLive >= 0 && seq <= lastLive) {
            // live sequence numbers only grow within a run: the publisher started over. (A live batch below `next`
            // but above the last live one is one that replay already delivered, not a restart.)
            next = -1;
            pending.clear();
            handler.onRestart();
        }
        lastLive = seq;
        if (next < 0) {
            next = replayEndpoint == null ? seq : 0;
        }
        if (seq < next) {
            return;
        }
        pending.put(seq, payload);
        for (int attempt = 0; attempt < REPLAY_ATTEMPTS && seq > next && replayEndpoint != null; attempt++) {
            if (replay(next)) {
                break; // answered to its end marker; otherwise ask again
            }
        }
        drain();
    }

    private void drain() {
        while (!pending.isEmpty()) {
            long first = pending.firstKey();
            if (first > next) {
                lost.addAndGet(first - next);
                handler.onLost(next, first - 1);
                next = first;
            }
            byte[] p = pending.pollFirstEntry().getValue();
            KvEventCodec.DecodedBatch b;
            try {
                b = KvEventCodec.decode(p);
            } catch (IllegalArgumentException e) {
                malformed.incrementAndGet();
                next++;
                continue;
            }
            handler.onBatch(next, b);
            batches.incrementAndGet();
            next++;
        }
    }

    /**
     * Asks the replay socket for every buffered batch from {@code start} into {@link #pending}; true if the answer
     * came to its end marker.
     */
    private boolean replay(long start) {
        try (ZMQ.Socket req = context.createSocket(SocketType.DEALER)) {
            req.setLinger(0);
            req.setReceiveTimeOut((int) REPLAY_TIMEOUT_MILLIS);
            req.connect(replayEndpoint);
            req.sendMore(new byte[0]);
            req.send(KvEventCodec.sequenceFrame(start));
            while (true) {
                byte[] empty = req.recv();
                if (empty == null) {
                    LOG.debug("kv events from {}: no replay answer in {} ms", endpoint, REPLAY_TIMEOUT_MILLIS);
                    return false;
                }
                byte[] seq = req.hasReceiveMore() ? req.recv() : null;
                byte[] payload = req.hasReceiveMore() ? req.recv() : null;
                if (seq == null || seq.length != Long.BYTES) {
                    return false;
                }
                long s = ByteBuffer.wrap(seq).getLong();
                if (s == -1) {
                    return true;
                }
                if (s >= next && !pending.containsKey(s)) {
                    pending.put(s, payload);
                    replayed.incrementAndGet();
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        context.close();
    }
}
