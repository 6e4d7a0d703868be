package io.kvstore.bench.net;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.BlockStream;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PrefixLookup;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** GET throughput and LOOKUP latency against a kvstore server, through {@link KvStoreClient}. */
final class KvLoad {

    private final ClientOptions options;
    private final Namespace ns;
    private final int valueBytes;

    KvLoad(ClientOptions options, int valueBytes) {
        this.options = options;
        this.valueBytes = valueBytes;
        // a layout whose block is exactly valueBytes is not needed: payload sizes are free; tokens per block 16
        this.ns = new Namespace("bench-net", new KvLayout("bf16", 1, 1, 64, 16), "", "", "");
    }

    Namespace namespace() {
        return ns;
    }

    static int[] tokens(int blocks, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[blocks * 16];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(1 << 17);
        }
        return t;
    }

    /** Stores {@code values} as one chain; returns its keys. */
    List<BlockKey> load(List<byte[]> values, long seed) {
        int[] tokens = tokens(values.size(), seed);
        List<ByteBuffer> p = new ArrayList<>();
        values.forEach(v -> p.add(ByteBuffer.wrap(v)));
        try (KvStoreClient c = KvStoreClient.create(options)) {
            List<BlockPayload> blocks = BlockPayload.chain(ns, tokens, p);
            for (int i = 0; i < blocks.size(); i += 16) {
                if (!c.putBlocks(ns, blocks.subList(i, Math.min(blocks.size(), i + 16))).allCached()) {
                    throw new IllegalStateException("the server did not store every value (too small a tier?)");
                }
            }
        }
        return new PrefixHasher(ns).hash(tokens);
    }

    /**
     * {@code connections} clients, each streaming GETs of {@code depth} consecutive keys from a random offset;
     * bytes of payload received per second.
     */
    double getThroughput(List<BlockKey> keys, int connections, int depth, long millis) throws Exception {
        return getThroughput(options.withSharedMemory(false), keys, connections, depth, millis, false);
    }

    /**
     * The same over same-host shared memory (the client reads the DRAM hits in place and checks their CRC32C);
     * with {@code copy} the consumer also copies each payload into its own buffer.
     */
    double shmGetThroughput(List<BlockKey> keys, int connections, int depth, long millis, boolean copy)
            throws Exception {
        return getThroughput(options.withSharedMemory(true), keys, connections, depth, millis, copy);
    }

    private double getThroughput(ClientOptions o, List<BlockKey> keys, int connections, int depth, long millis,
                                 boolean copy) throws Exception {
        return Measure.throughput(o.sharedMemory() ? "kv-shm-get" : "kv-get", connections, millis, (c, stop, bytes) -> {
            ByteBuffer dst = copy ? ByteBuffer.allocateDirect(valueBytes) : null;
            try (KvStoreClient client = KvStoreClient.create(o)) {
                SplittableRandom r = new SplittableRandom(c);
                while (!stop.get()) {
                    int from = r.nextInt(keys.size() - depth + 1);
                    try (BlockStream s = client.streamPrefix(ns, keys.subList(from, from + depth))) {
                        while (s.hasNext()) {
                            try (ReceivedBlock b = s.next()) {
                                if (dst != null) {
                                    dst.clear().put(b.payload());
                                }
                                bytes.add(b.meta().length());
                            }
                        }
                    }
                }
            }
        });
    }

    /** The values as direct buffers (for the memory-copy and loopback baselines). */
    static List<ByteBuffer> direct(List<byte[]> values) {
        List<ByteBuffer> out = new ArrayList<>();
        for (byte[] v : values) {
            out.add(ByteBuffer.allocateDirect(v.length).put(v).flip());
        }
        return out;
    }

    /**
     * The baseline of shared-memory reads: {@code threads} threads each copying whole values from {@code src}
     * (off-heap, together larger than the caches) into their own off-heap buffer; bytes copied per second.
     */
    static double memcpyThroughput(List<ByteBuffer> src, int threads, long millis) throws Exception {
        return Measure.throughput("memcpy", threads, millis, (c, stop, bytes) -> {
            ByteBuffer dst = ByteBuffer.allocateDirect(src.get(0).capacity());
            SplittableRandom r = new SplittableRandom(c);
            while (!stop.get()) {
                ByteBuffer s = src.get(r.nextInt(src.size()));
                dst.clear().put(s.duplicate());
                bytes.add(s.capacity());
            }
        });
    }

    /**
     * The baseline of shared-memory GETs without a copy: {@code threads} threads each reading whole values from
     * {@code src} once, by the same CRC32C check the client makes on a mapped block; bytes read per second.
     */
    static double readPassThroughput(List<ByteBuffer> src, int threads, long millis) throws Exception {
        return Measure.throughput("read-pass", threads, millis, (c, stop, bytes) -> {
            SplittableRandom r = new SplittableRandom(c);
            int sink = 0;
            while (!stop.get()) {
                ByteBuffer s = src.get(r.nextInt(src.size()));
                sink += Checksums.crc32c(s.duplicate());
                bytes.add(s.capacity());
            }
            readPassSink = sink; // the checksums are used: the JIT may not drop them
        });
    }

    @SuppressWarnings("unused")
    private static volatile int readPassSink;

    /** Latency in microseconds of {@code samples} sequential LOOKUPs of a {@code blocks}-block cached prefix. */
    Histogram lookupLatency(int blocks, int samples) {
        int[] tokens = tokens(blocks, 99);
        List<ByteBuffer> p = new ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            p.add(ByteBuffer.allocate(1024));
        }
        Histogram h = new Histogram(3_600_000_000L, 3);
        try (KvStoreClient c = KvStoreClient.create(options)) {
            c.putBlocks(ns, BlockPayload.chain(ns, tokens, p));
            List<BlockKey> keys = new PrefixHasher(ns).hash(tokens);
            for (int i = 0; i < samples / 4; i++) { // warm-up
                c.lookup(ns, keys);
            }
            for (int i = 0; i < samples; i++) {
                long t0 = System.nanoTime();
                PrefixLookup l = c.lookup(ns, keys);
                h.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                if (l.hitBlocks() != blocks) {
                    throw new IllegalStateException("lookup found " + l.hitBlocks() + " of " + blocks);
                }
            }
        }
        return h;
    }
}
