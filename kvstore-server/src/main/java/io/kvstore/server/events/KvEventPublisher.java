package io.kvstore.server.events;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.store.StoreEvent;
import io.kvstore.core.store.StoreEventListener;
import io.kvstore.core.store.TieredStore;
import io.kvstore.server.config.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Publishes the daemon's store events as vLLM's KV-event stream, so that a router (NVIDIA Dynamo's KV router,
 * llm-d's KV-cache indexer, {@code kvstore index}) knows which blocks this daemon holds and in which medium.
 *
 * <h2>How the pieces fit</h2>
 * The engine calls the {@link StoreEventFeed} listener on its own threads; the feed only appends to a bounded
 * lock-free queue (drop and count when full). One publisher thread owns both ZeroMQ sockets: it drains the queue
 * into batches (at most {@link #MAX_BATCH_EVENTS} events, gathered for up to {@link #BATCH_WINDOW_MILLIS} after the
 * first: what a batch costs — waking this thread, JeroMQ's I/O thread and every subscriber — is paid a few dozen
 * times a second under load, not once per PUT), translates each store event into vLLM events (an
 * admission is a {@code BlockStored} in the tier's medium; a demotion or promotion a {@code BlockStored} in the new
 * medium followed by a {@code BlockRemoved} from the old one, so that a router never sees the block nowhere; an
 * eviction or delete a {@code BlockRemoved}), encodes it ({@link KvEventCodec}), sends it on the PUB socket as
 * three frames (topic, sequence number, payload) and keeps it in a ring of the last {@code replayBatches} batches.
 * Between batches it answers replay requests on the ROUTER socket: a start sequence number gets every buffered
 * batch from there, then sequence -1 with an empty payload (vLLM's {@code ZmqEventPublisher} protocol).
 *
 * <h2>Gaps, never silence</h2>
 * Sequence numbers grow by one per batch. When events were dropped because the queue was full, the next batch
 * skips a number: subscribers see a gap that replay cannot fill, which tells them their view of this daemon is
 * incomplete. A slow subscriber that ZeroMQ dropped messages for (PUB high-water mark) sees a gap that replay fills.
 * On start the first batch is {@code AllBlocksCleared} followed by the blocks the store recovered, so a router
 * forgets what an earlier run of this daemon held. An idle publisher sends an empty batch every
 * {@code heartbeatMillis}, so that a subscriber can tell a quiet daemon from a dead one.
 *
 * <h2>Token ids</h2>
 * A PUT that carried its block's token ids (clients send them when HELLO says events are on) hands them to the
 * admission's {@code BlockStored}; the publisher remembers the ids of up to {@code tokenCacheBlocks} blocks so that
 * a block moving to another medium is announced there with its ids too.
 */
public final class KvEventPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KvEventPublisher.class);
    /** Events in one batch at most. */
    static final int MAX_BATCH_EVENTS = 512;
    /**
     * How long a batch gathers events after its first: what a router learns late, at most (a prefill takes
     * hundreds of milliseconds), against one wake-up of every thread on the path per batch: under a PUT load the
     * publisher's threads took 10.5% of the process's CPU with 1 ms, 4.8% with 10 ms and about 4% with 25 ms
     * (docs/routing.md#cost-of-publishing).
     */
    static final int BATCH_WINDOW_MILLIS = 25;
    private static final int IDLE_POLL_MILLIS = 1;
    /** After a quiet while the thread looks every 10 ms: an idle daemon does not wake a core 1000 times a second. */
    private static final int IDLE_SLOW_POLL_MILLIS = 10;
    private static final byte[] END_SEQUENCE = KvEventCodec.sequenceFrame(-1);

    private final ServerConfig.KvEvents config;
    private final StoreEventFeed feed;
    private final KvEventCodec codec;
    private final byte[] topic;
    private final ZContext context = new ZContext(1);
    private final ZMQ.Socket pub;
    private final ZMQ.Socket replay;
    private final ZMQ.Poller poller;
    private final String endpoint;
    private final String replayEndpoint;
    private final ArrayDeque<Buffered> ring = new ArrayDeque<>();
    private final Map<BlockKey, StoreEventFeed.Tokens> tokenCache;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong replays = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    private long nextSequence;
    private volatile long lastSequence = -1;
    private long lastPublishNanos;
    private int idleRounds;
    private long droppedSeen;
    private Thread thread;
    private volatile boolean running;
    private volatile boolean closed;

    private record Buffered(long sequence, byte[] payload) {
    }

    /** Binds the sockets (a clear error if an address is taken); {@link #start} starts publishing. */
    public KvEventPublisher(ServerConfig.KvEvents config) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("kvEventsEndpoint is not set");
        }
        this.config = config;
        this.feed = new StoreEventFeed(config.queueEvents());
        this.codec = new KvEventCodec(HashFormat.of(config.hashFormat()));
        this.topic = config.topic().getBytes(StandardCharsets.UTF_8);
        int cache = config.tokenCacheBlocks();
        this.tokenCache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<BlockKey, StoreEventFeed.Tokens> eldest) {
                return size() > cache;
            }
        };
        try {
            pub = context.createSocket(SocketType.PUB);
            pub.setSndHWM(100_000);
            pub.setLinger(0);
            pub.bind(config.endpoint());
            endpoint = pub.getLastEndpoint();
            if (config.replayEndpoint().isEmpty()) {
                replay = null;
                replayEndpoint = null;
                poller = null;
            } else {
                replay = context.createSocket(SocketType.ROUTER);
                replay.setLinger(0);
                replay.setSndHWM(4 * config.replayBatches() + 64); // a replay is 4 frames per batch
                replay.bind(config.replayEndpoint());
                replayEndpoint = replay.getLastEndpoint();
                poller = context.createPoller(1);
                poller.register(replay, ZMQ.Poller.POLLIN);
            }
        } catch (ZMQException e) {
            context.close();
            throw new IllegalStateException("kvEventsEndpoint / kvEventsReplayEndpoint: cannot bind "
                    + config.endpoint() + (config.replayEndpoint().isEmpty() ? "" : " / " + config.replayEndpoint())
                    + " (" + e.getMessage() + "); choose a free port", e);
        }
    }

    /** The listener to give the store. */
    public StoreEventListener listener() {
        return feed;
    }

    /** Runs a store put of {@code key} so that its {@code BlockStored} carries {@code tokenIds}. */
    public <T> T withTokens(BlockKey key, int[] tokenIds, int blockSize, Supplier<T> put) {
        return feed.withTokens(key, tokenIds, blockSize, put);
    }

    /**
     * Starts the publisher thread. Its first batch clears subscribers' view of this daemon and announces what
     * {@code store} already holds (recovered at open).
     */
    public synchronized KvEventPublisher start(TieredStore store) {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        List<BlockInfo> held = store.blocks(b -> true, Integer.MAX_VALUE);
        running = true;
        thread = new Thread(() -> run(held), "kvstore-kv-events");
        thread.setDaemon(true);
        thread.start();
        LOG.info("kv events: publishing on {}{}", endpoint, replayEndpoint == null ? "" : ", replay on "
                + replayEndpoint);
        return this;
    }

    /** The address the PUB socket bound (with the actual port if the setting said {@code *}). */
    public String endpoint() {
        return endpoint;
    }

    /** The address the replay socket bound, or null if there is none. */
    public String replayEndpoint() {
        return replayEndpoint;
    }

    /** The sequence number of the last batch published, -1 before the first. */
    public long lastSequence() {
        return lastSequence;
    }

    /** Batches published since start. */
    public long batches() {
        return batches.get();
    }

    /** Events published since start. */
    public long events() {
        return events.get();
    }

    /** Store events dropped because the queue was full. */
    public long dropped() {
        return feed.dropped();
    }

    /** Sequence numbers skipped to show dropped events. */
    public long gaps() {
        return gaps.get();
    }

    /** Replay requests answered. */
    public long replays() {
        return replays.get();
    }

    /** Store events waiting for the publisher thread. */
    public int queued() {
        return feed.size();
    }

    /** The queue's bound. */
    public int queueCapacity() {
        return feed.capacity();
    }

    // --------------------------------------------------------------------------------------- publisher thread

    private void run(List<BlockInfo> held) {
        try {
            List<KvEvent> first = new ArrayList<>();
            first.add(KvEvent.allCleared());
            for (BlockInfo b : held) {
                first.add(stored(b.meta(), b.tier(), null));
                if (first.size() >= MAX_BATCH_EVENTS) {
                    publish(first);
                    first.clear();
                }
            }
            publish(first);
            List<KvEvent> batch = new ArrayList<>(MAX_BATCH_EVENTS + 1);
            while (running) {
                serveReplay();
                drainInto(batch);
                if (batch.isEmpty()) {
                    if (config.heartbeatMillis() > 0
                            && System.nanoTime() - lastPublishNanos > config.heartbeatMillis() * 1_000_000L) {
                        publish(batch); // an empty batch: still alive
                    } else {
                        idle(++idleRounds > 16 ? IDLE_SLOW_POLL_MILLIS : IDLE_POLL_MILLIS);
                    }
                    continue;
                }
                idleRounds = 0;
                gather(batch);
                publish(batch);
                batch.clear();
            }
        } catch (RuntimeException e) {
            if (running) {
                LOG.error("kv events: the publisher thread stopped", e);
            }
        }
    }

    /**
     * Adds to {@code batch} (which holds the first events) what else arrives within {@link #BATCH_WINDOW_MILLIS}, up
     * to {@link #MAX_BATCH_EVENTS}: under load one batch every window instead of one per event or two, so that
     * the publisher, ZeroMQ's I/O thread and every subscriber wake up a few dozen times a second, not thousands.
     * Replay requests are answered meanwhile.
     */
    private void gather(List<KvEvent> batch) {
        long deadline = System.nanoTime() + BATCH_WINDOW_MILLIS * 1_000_000L;
        while (running && batch.size() < MAX_BATCH_EVENTS) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            idle((int) Math.max(1, left / 1_000_000));
            serveReplay();
            drainInto(batch);
        }
    }

    private void drainInto(List<KvEvent> batch) {
        StoreEventFeed.Item item;
        while (batch.size() < MAX_BATCH_EVENTS && (item = feed.poll()) != null) {
            translate(item, batch);
        }
    }

    /** Waits up to {@code millis} for a replay request (or just waits, without a replay socket). */
    private void idle(int millis) {
        if (poller != null) {
            poller.poll(millis);
        } else {
            java.util.concurrent.locks.LockSupport.parkNanos(millis * 1_000_000L);
        }
    }

    private void translate(StoreEventFeed.Item item, List<KvEvent> out) {
        StoreEvent e = item.event();
        BlockKey key = e.meta().key();
        switch (e.type()) {
            case ADMITTED -> {
                StoreEventFeed.Tokens t = item.tokens();
                if (t != null && tokenCache != null && config.tokenCacheBlocks() > 0) {
                    tokenCache.put(key, t);
                }
                out.add(stored(e.meta(), e.tier(), t));
            }
            case DEMOTED, PROMOTED -> {
                out.add(stored(e.meta(), e.toTier(), tokenCache.get(key)));
                out.add(KvEvent.removed(key, KvEvent.medium(e.tier())));
            }
            case EVICTED, DELETED -> {
                tokenCache.remove(key);
                out.add(KvEvent.removed(key, KvEvent.medium(e.tier())));
            }
            default -> {
                // the feed passes nothing else
            }
        }
    }

    private static KvEvent stored(BlockMeta m, String tier, StoreEventFeed.Tokens t) {
        return KvEvent.stored(m.key(), m.position() == 0 ? null : m.parent(), t == null ? null : t.tokenIds(),
                t == null ? 0 : t.blockSize(), KvEvent.medium(tier));
    }

    private void publish(List<KvEvent> batch) {
        long dropped = feed.dropped();
        if (dropped != droppedSeen) { // events were lost: show it as a gap
            droppedSeen = dropped;
            nextSequence++;
            gaps.incrementAndGet();
        }
        long seq = nextSequence++;
        byte[] payload = codec.encode(System.currentTimeMillis() / 1000.0, batch, 0);
        pub.sendMore(topic);
        pub.sendMore(KvEventCodec.sequenceFrame(seq));
        pub.send(payload, ZMQ.DONTWAIT);
        if (config.replayBatches() > 0) {
            if (ring.size() >= config.replayBatches()) {
                ring.pollFirst();
            }
            ring.addLast(new Buffered(seq, payload));
        }
        lastSequence = seq;
        lastPublishNanos = System.nanoTime();
        batches.incrementAndGet();
        events.addAndGet(batch.size());
    }

    private void serveReplay() {
        if (replay == null) {
            return;
        }
        byte[] id;
        while ((id = replay.recv(ZMQ.DONTWAIT)) != null) {
            List<byte[]> frames = new ArrayList<>();
            while (replay.hasReceiveMore()) {
                frames.add(replay.recv());
            }
            if (frames.size() != 2 || frames.get(1).length != Long.BYTES) {
                LOG.debug("kv events: ignoring a replay request of {} frames", frames.size() + 1);
                continue;
            }
            long start = ByteBuffer.wrap(frames.get(1)).getLong();
            for (Buffered b : ring) {
                if (b.sequence() >= start) {
                    replay.sendMore(id);
                    replay.sendMore(new byte[0]);
                    replay.sendMore(KvEventCodec.sequenceFrame(b.sequence()));
                    replay.send(b.payload());
                }
            }
            replay.sendMore(id);
            replay.sendMore(new byte[0]);
            replay.sendMore(END_SEQUENCE);
            replay.send(new byte[0]);
            replays.incrementAndGet();
        }
    }

    /** Stops the thread (events still queued are not published) and closes the sockets. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        context.close();
    }
}
