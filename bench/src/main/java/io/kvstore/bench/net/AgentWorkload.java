package io.kvstore.bench.net;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.BlockStream;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PrefixLookup;
import io.kvstore.client.PutAck;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.body.PutCode;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The synthetic agent workload, replayed over the network with real payloads: many sessions share a system
 * prompt; each turn of a session re-sends its whole growing context (input dominates output), so the engine
 * looks up the context's prefix, streams the hit blocks, and stores the blocks it had to prefill.
 *
 * <p>Each of {@code connections} threads owns its sessions ({@link Sessions}) and loops: pick one of its
 * sessions, advance it one turn (starting it over after {@code turns}), then one engine {@link #turn}: LOOKUP,
 * GET the hit prefix, PUT the rest. {@code bench load} drives the same two pieces.
 */
public final class AgentWorkload {

    /** Shape of the workload. */
    public record Shape(int sessionsPerConnection, int systemBlocks, int blocksPerTurn, int turns, int blockBytes) {

        /** The shape {@code bench net} and {@code bench load} use: 8 sessions a connection, 16 system blocks,
         *  4 blocks a turn, 12 turns. */
        public static Shape standard(int blockBytes) {
            return new Shape(8, 16, 4, 12, blockBytes);
        }

        /** Distinct blocks {@code connections} connections touch in one pass of their sessions. */
        public long distinctBlocks(int connections) {
            return systemBlocks + (long) connections * sessionsPerConnection * turns * blocksPerTurn;
        }
    }

    /** What a run measured. */
    record Result(double seconds, long turns, long blocksLookedUp, long blocksHit, long getBytes, long putBytes,
                  Histogram lookupUs, Histogram getUs, Histogram putUs) {

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seconds", seconds);
            m.put("turns_per_s", turns / seconds);
            m.put("requests_per_s", 3 * turns / seconds);
            m.put("hit_rate", blocksLookedUp == 0 ? 0 : (double) blocksHit / blocksLookedUp);
            m.put("get_gbps", getBytes / seconds / 1e9);
            m.put("put_gbps", putBytes / seconds / 1e9);
            m.put("lookup_p50_us", lookupUs.getValueAtPercentile(50));
            m.put("lookup_p99_us", lookupUs.getValueAtPercentile(99));
            m.put("get_p50_us", getUs.getValueAtPercentile(50));
            m.put("get_p99_us", getUs.getValueAtPercentile(99));
            m.put("put_p50_us", putUs.getValueAtPercentile(50));
            m.put("put_p99_us", putUs.getValueAtPercentile(99));
            return m;
        }
    }

    /** Where one engine turn reports its three requests (times in nanoseconds). */
    public interface TurnListener {
        void lookup(long nanos, int keys, int hit);

        void get(long nanos, long bytes);

        /** A PUT of {@code blocks} blocks, {@code bytes} of payload; {@code ack} says what became of each. */
        void put(long nanos, int blocks, long bytes, PutAck ack);
    }

    /**
     * One engine turn for a context of {@code tokens} whose block {@code i} has the payload {@code payloads[i]}:
     * LOOKUP its keys, GET the hit prefix (streamed, every block closed), PUT the blocks that missed. Of the blocks
     * after the first miss, only those the server does not hold are sent ({@link KvStoreClient#putMissing}: an EXISTS
     * round trip first, counted in the PUT's time); the PUT reports the blocks and bytes sent and the ack of all.
     * A GET or PUT that has nothing to do is not sent and not reported.
     */
    public static void turn(KvStoreClient client, Namespace ns, PrefixHasher hasher, int[] tokens,
                            List<ByteBuffer> payloads, TurnListener out) {
        List<BlockKey> keys = hasher.hash(tokens);
        long t0 = System.nanoTime();
        PrefixLookup l = client.lookup(ns, keys);
        long t1 = System.nanoTime();
        out.lookup(t1 - t0, keys.size(), l.hitBlocks());
        if (l.hitBlocks() > 0) {
            long bytes = 0;
            try (BlockStream st = client.streamPrefix(ns, l.hitKeys())) {
                while (st.hasNext()) {
                    try (ReceivedBlock b = st.next()) {
                        bytes += b.meta().length();
                    }
                }
            }
            out.get(System.nanoTime() - t1, bytes);
        }
        if (l.hitBlocks() < keys.size()) {
            List<BlockPayload> all = BlockPayload.chain(ns, tokens, payloads.subList(0, keys.size()));
            List<BlockPayload> missing = all.subList(l.hitBlocks(), all.size());
            long t2 = System.nanoTime();
            // blocks after the first miss may still be cached (a gap in the prefix): sent only if absent, as an
            // engine on LMCache (skip_existing) does
            PutAck ack = missing.size() > 1 ? client.putMissing(ns, missing) : client.putBlocks(ns, missing);
            long t3 = System.nanoTime();
            int sent = 0;
            long bytes = 0;
            for (int i = 0; i < missing.size(); i++) {
                if (ack.statuses().get(i) != PutCode.ALREADY_PRESENT) {
                    sent++;
                    bytes += missing.get(i).payload().remaining();
                }
            }
            out.put(t3 - t2, sent, bytes, ack);
        }
    }

    /**
     * The sessions of one connection: each {@link #next} picks one at random, advances it one turn (starting it
     * over, with new tokens, after {@code turns}) and returns its whole context: the shared system prompt, then
     * one chunk of the session's own tokens per turn so far. Not thread-safe: one per connection.
     */
    public static final class Sessions {
        private final Shape shape;
        private final int conn;
        private final int[] system;
        private final SplittableRandom r;
        private final int[] turnOf;
        private final int[] epoch;

        public Sessions(Shape shape, int conn) {
            this.shape = shape;
            this.conn = conn;
            this.system = KvLoad.tokens(shape.systemBlocks(), 7);
            this.r = new SplittableRandom(conn);
            this.turnOf = new int[shape.sessionsPerConnection()];
            this.epoch = new int[shape.sessionsPerConnection()];
        }

        /** The context of the next turn (16 tokens a block). */
        public int[] next() {
            int s = r.nextInt(turnOf.length);
            int turn = ++turnOf[s];
            if (turn > shape.turns()) {
                turnOf[s] = turn = 1;
                epoch[s]++;
            }
            return context(s, epoch[s], turn);
        }

        /** The system prompt, then {@code turn} turns of this session's own tokens. */
        private int[] context(int session, int epoch, int turn) {
            int per = shape.blocksPerTurn() * 16;
            int[] t = new int[system.length + turn * per];
            System.arraycopy(system, 0, t, 0, system.length);
            for (int k = 0; k < turn; k++) {
                SplittableRandom g = new SplittableRandom(((long) conn << 40) ^ ((long) session << 20)
                        ^ ((long) epoch << 8) ^ k);
                for (int i = 0; i < per; i++) {
                    t[system.length + k * per + i] = g.nextInt(1 << 17);
                }
            }
            return t;
        }

        /** Blocks in the longest context. */
        public int maxBlocks() {
            return shape.systemBlocks() + shape.turns() * shape.blocksPerTurn();
        }
    }

    private final ClientOptions options;
    private final Namespace ns;
    private final Shape shape;

    AgentWorkload(ClientOptions options, Namespace ns, Shape shape) {
        this.options = options;
        this.ns = ns;
        this.shape = shape;
    }

    Result run(int connections, long millis) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder turns = new LongAdder();
        LongAdder looked = new LongAdder();
        LongAdder hit = new LongAdder();
        LongAdder getBytes = new LongAdder();
        LongAdder putBytes = new LongAdder();
        Histogram lookupUs = new Histogram(3_600_000_000L, 3);
        Histogram getUs = new Histogram(3_600_000_000L, 3);
        Histogram putUs = new Histogram(3_600_000_000L, 3);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        byte[] payload = new byte[shape.blockBytes()];
        new SplittableRandom(1).nextBytes(payload);
        PrefixHasher hasher = new PrefixHasher(ns);
        for (int c = 0; c < connections; c++) {
            int conn = c;
            threads.add(new Thread(() -> {
                Histogram lh = new Histogram(3_600_000_000L, 3);
                Histogram gh = new Histogram(3_600_000_000L, 3);
                Histogram ph = new Histogram(3_600_000_000L, 3);
                TurnListener listener = new TurnListener() {
                    @Override
                    public void lookup(long nanos, int keys, int hits) {
                        lh.recordValue(Math.max(1, nanos / 1000));
                        looked.add(keys);
                        hit.add(hits);
                    }

                    @Override
                    public void get(long nanos, long bytes) {
                        gh.recordValue(Math.max(1, nanos / 1000));
                        getBytes.add(bytes);
                    }

                    @Override
                    public void put(long nanos, int blocks, long bytes, PutAck ack) {
                        ph.recordValue(Math.max(1, nanos / 1000));
                        putBytes.add(bytes);
                    }
                };
                try (KvStoreClient client = KvStoreClient.create(options)) {
                    Sessions sessions = new Sessions(shape, conn);
                    List<ByteBuffer> payloads = new ArrayList<>();
                    for (int i = 0; i < sessions.maxBlocks(); i++) {
                        payloads.add(ByteBuffer.wrap(payload));
                    }
                    while (!stop.get()) {
                        turn(client, ns, hasher, sessions.next(), payloads, listener);
                        turns.increment();
                    }
                } catch (Throwable t) {
                    synchronized (errors) {
                        errors.add(t);
                    }
                } finally {
                    synchronized (lookupUs) {
                        lookupUs.add(lh);
                        getUs.add(gh);
                        putUs.add(ph);
                    }
                }
            }, "agent-" + c));
        }
        long t0 = System.nanoTime();
        LongAdder dummy = new LongAdder();
        Measure.timed(threads, stop, dummy, millis);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (!errors.isEmpty()) {
            throw new IllegalStateException("agent workload failed", errors.get(0));
        }
        return new Result(secs, turns.sum(), looked.sum(), hit.sum(), getBytes.sum(), putBytes.sum(), lookupUs, getUs,
                putUs);
    }
}
