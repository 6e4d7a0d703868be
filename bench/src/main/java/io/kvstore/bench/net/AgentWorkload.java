package io.kvstore.bench.net;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.BlockStream;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PrefixLookup;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.Namespace;
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
 * <p>Each of {@code connections} threads owns its sessions and loops: pick one of its sessions, advance it one
 * turn (starting it over after {@code turns}), LOOKUP, GET the hit prefix, PUT the rest.
 */
final class AgentWorkload {

    /** Shape of the workload. */
    record Shape(int sessionsPerConnection, int systemBlocks, int blocksPerTurn, int turns, int blockBytes) {
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
        int[] system = KvLoad.tokens(shape.systemBlocks(), 7);
        byte[] payload = new byte[shape.blockBytes()];
        new SplittableRandom(1).nextBytes(payload);
        PrefixHasher hasher = new PrefixHasher(ns);
        for (int c = 0; c < connections; c++) {
            int conn = c;
            threads.add(new Thread(() -> {
                Histogram lh = new Histogram(3_600_000_000L, 3);
                Histogram gh = new Histogram(3_600_000_000L, 3);
                Histogram ph = new Histogram(3_600_000_000L, 3);
                try (KvStoreClient client = KvStoreClient.create(options)) {
                    SplittableRandom r = new SplittableRandom(conn);
                    int[] turnOf = new int[shape.sessionsPerConnection()];
                    int[] epoch = new int[shape.sessionsPerConnection()];
                    while (!stop.get()) {
                        int s = r.nextInt(turnOf.length);
                        int turn = ++turnOf[s];
                        if (turn > shape.turns()) {
                            turnOf[s] = turn = 1;
                            epoch[s]++;
                        }
                        int[] tokens = context(system, conn, s, epoch[s], turn);
                        List<BlockKey> keys = hasher.hash(tokens);
                        long t0 = System.nanoTime();
                        PrefixLookup l = client.lookup(ns, keys);
                        long t1 = System.nanoTime();
                        lh.recordValue(Math.max(1, (t1 - t0) / 1000));
                        looked.add(keys.size());
                        hit.add(l.hitBlocks());
                        if (l.hitBlocks() > 0) {
                            try (BlockStream st = client.streamPrefix(ns, l.hitKeys())) {
                                while (st.hasNext()) {
                                    try (ReceivedBlock b = st.next()) {
                                        getBytes.add(b.meta().length());
                                    }
                                }
                            }
                            gh.recordValue(Math.max(1, (System.nanoTime() - t1) / 1000));
                        }
                        if (l.hitBlocks() < keys.size()) {
                            List<ByteBuffer> ps = new ArrayList<>();
                            for (int i = 0; i < keys.size(); i++) {
                                ps.add(ByteBuffer.wrap(payload));
                            }
                            List<BlockPayload> all = BlockPayload.chain(ns, tokens, ps);
                            long t2 = System.nanoTime();
                            client.putBlocks(ns, all.subList(l.hitBlocks(), all.size()));
                            ph.recordValue(Math.max(1, (System.nanoTime() - t2) / 1000));
                            putBytes.add((long) (all.size() - l.hitBlocks()) * payload.length);
                        }
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

    /** The system prompt, then {@code turn} turns of this session's own tokens. */
    private int[] context(int[] system, int conn, int session, int epoch, int turn) {
        int per = shape.blocksPerTurn() * 16;
        int[] t = new int[system.length + turn * per];
        System.arraycopy(system, 0, t, 0, system.length);
        for (int k = 0; k < turn; k++) {
            SplittableRandom r = new SplittableRandom(((long) conn << 40) ^ ((long) session << 20) ^ ((long) epoch << 8)
                    ^ k);
            for (int i = 0; i < per; i++) {
                t[system.length + k * per + i] = r.nextInt(1 << 17);
            }
        }
        return t;
    }
}
