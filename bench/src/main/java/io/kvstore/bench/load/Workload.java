package io.kvstore.bench.load;

import io.kvstore.bench.net.AgentWorkload;
import io.kvstore.bench.trace.KvTesterReader;
import io.kvstore.bench.trace.Trace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the engine connections of {@code bench load} replay: turns, each a context (tokens, 16 a block, as the
 * load's namespace hashes them) and one payload per block.
 */
interface Workload {

    /** One turn: the context's tokens and its blocks' payloads (as many as it has full blocks). */
    record Turn(int[] tokens, List<ByteBuffer> payloads) {
    }

    /** The turns of one connection. Not thread-safe: one per connection. */
    interface Source {
        Turn next();
    }

    /** A new source for connection {@code conn}. Thread-safe. */
    Source source(int conn);

    /**
     * The live set: bytes of the distinct blocks {@code connections} connections store in one pass over their
     * sessions, each block rounded up to whole {@link #DRAM_PAGE} pages as the DRAM tier stores it. Blocks of
     * sessions that have started over are dead: never asked for again.
     */
    long liveBytes(int connections);

    /** Page size of the DRAM tier's arena (its default): a block takes whole pages. */
    long DRAM_PAGE = 64 << 10;

    /** {@code bytes} rounded up to whole DRAM pages. */
    static long pages(long bytes) {
        return (bytes + DRAM_PAGE - 1) / DRAM_PAGE * DRAM_PAGE;
    }

    /** One line for the report. */
    String describe();

    /** Tokens per block of the load's namespace. */
    int TOKENS_PER_BLOCK = 16;

    /** A payload of {@code bytes} random bytes (seeded), shared read-only by every block of that size. */
    static byte[] payload(int bytes) {
        byte[] p = new byte[bytes];
        new SplittableRandom(1).nextBytes(p);
        return p;
    }

    /** The synthetic agent workload of {@code bench net} ({@link AgentWorkload.Sessions}), fixed-size blocks. */
    final class Agent implements Workload {
        private final AgentWorkload.Shape shape;
        private final byte[] payload;

        Agent(int blockBytes) {
            this.shape = AgentWorkload.Shape.standard(blockBytes);
            this.payload = payload(blockBytes);
        }

        @Override
        public Source source(int conn) {
            AgentWorkload.Sessions sessions = new AgentWorkload.Sessions(shape, conn);
            List<ByteBuffer> payloads = new ArrayList<>();
            for (int i = 0; i < sessions.maxBlocks(); i++) {
                payloads.add(ByteBuffer.wrap(payload).asReadOnlyBuffer());
            }
            return () -> {
                int[] tokens = sessions.next();
                return new Turn(tokens, payloads.subList(0, tokens.length / TOKENS_PER_BLOCK));
            };
        }

        @Override
        public long liveBytes(int connections) {
            return shape.distinctBlocks(connections) * Workload.pages(shape.blockBytes());
        }

        @Override
        public String describe() {
            return String.format("agent: %d sessions a connection, %d system blocks, %d blocks a turn, %d turns, "
                            + "blocks of %d bytes", shape.sessionsPerConnection(), shape.systemBlocks(),
                    shape.blocksPerTurn(), shape.turns(), shape.blockBytes());
        }
    }

    /**
     * Writers only: every turn is a context never seen before ({@code blocksPerTurn} blocks of fresh tokens), so
     * its LOOKUP misses and the whole turn is PUT. Against full tiers every block evicts: the PUT bandwidth of the
     * engine's steady state, to compare with the raw disk's write bandwidth of the same run.
     */
    final class Writes implements Workload {
        private static final int BLOCKS_PER_TURN = 16;
        private final int blockBytes;
        private final byte[] payload;

        Writes(int blockBytes) {
            this.blockBytes = blockBytes;
            this.payload = payload(blockBytes);
        }

        @Override
        public Source source(int conn) {
            List<ByteBuffer> payloads = new ArrayList<>(BLOCKS_PER_TURN);
            for (int i = 0; i < BLOCKS_PER_TURN; i++) {
                payloads.add(ByteBuffer.wrap(payload).asReadOnlyBuffer());
            }
            SplittableRandom g = new SplittableRandom(0x5eed_0000L + conn);
            return () -> {
                int[] tokens = new int[BLOCKS_PER_TURN * TOKENS_PER_BLOCK];
                for (int k = 0; k < tokens.length; k++) {
                    tokens[k] = g.nextInt(1 << 17);
                }
                return new Turn(tokens, payloads);
            };
        }

        @Override
        public long liveBytes(int connections) {
            return (long) connections * BLOCKS_PER_TURN * Workload.pages(blockBytes); // nothing is read back
        }

        @Override
        public String describe() {
            return String.format("writes: %d new blocks of %d bytes a turn, never read back", BLOCKS_PER_TURN,
                    blockBytes);
        }
    }

    /**
     * Real Claude Code sessions (kv-cache-tester traces, {@link KvTesterReader}): merged into one stream (each
     * session starting at a seeded random offset within an hour, requests in arrival order), replayed as fast as
     * the connections go: each connection takes the next request of the stream. A block of the trace (64 tokens)
     * carries {@code fullBlockBytes} scaled by the tokens it holds (a trailing partial block is smaller). After
     * the last request the stream starts over with new tokens (a new pass: new keys). Requests longer than
     * {@code maxBlocks} blocks are cut to their first {@code maxBlocks} (the server's maxKeysPerRequest).
     */
    final class Weka implements Workload {
        private final Trace trace;
        private final int fullBlockBytes;
        private final int maxBlocks;
        private final byte[] payload;
        private final AtomicLong cursor = new AtomicLong();

        Weka(Trace trace, int fullBlockBytes, int maxBlocks) {
            this.trace = trace;
            this.fullBlockBytes = fullBlockBytes;
            this.maxBlocks = maxBlocks;
            this.payload = payload(fullBlockBytes);
        }

        static Weka read(Path dir, int fullBlockBytes, int maxBlocks) throws IOException {
            return new Weka(KvTesterReader.read(dir, 1, KvTesterReader.DEFAULT_SPAN_MILLIS), fullBlockBytes,
                    maxBlocks);
        }

        /** Bytes of block {@code j} of request {@code r}. */
        int blockBytes(int r, int j) {
            return (int) Math.max(1, (long) fullBlockBytes * trace.tokens(r, j) / trace.blockTokens());
        }

        @Override
        public Source source(int conn) {
            ByteBuffer full = ByteBuffer.wrap(payload).asReadOnlyBuffer();
            return () -> {
                long i = cursor.getAndIncrement();
                int r = (int) (i % trace.requests());
                long pass = i / trace.requests();
                int n = Math.min(maxBlocks, trace.end(r) - trace.start(r));
                int[] tokens = new int[n * TOKENS_PER_BLOCK];
                List<ByteBuffer> payloads = new ArrayList<>(n);
                for (int j = 0; j < n; j++) {
                    SplittableRandom g = new SplittableRandom((pass << 32) ^ trace.block(trace.start(r) + j));
                    for (int k = 0; k < TOKENS_PER_BLOCK; k++) {
                        tokens[j * TOKENS_PER_BLOCK + k] = g.nextInt(1 << 17);
                    }
                    int b = blockBytes(r, j);
                    payloads.add(b == fullBlockBytes ? full : ByteBuffer.wrap(payload, 0, b).asReadOnlyBuffer());
                }
                return new Turn(tokens, payloads);
            };
        }

        @Override
        public long liveBytes(int connections) {
            long[] bytes = new long[trace.uniqueBlocks()];
            for (int r = 0; r < trace.requests(); r++) {
                int n = Math.min(maxBlocks, trace.end(r) - trace.start(r));
                for (int j = 0; j < n; j++) {
                    int id = trace.block(trace.start(r) + j);
                    bytes[id] = Math.max(bytes[id], blockBytes(r, j));
                }
            }
            return Arrays.stream(bytes).map(b -> b == 0 ? 0 : Workload.pages(b)).sum();
        }

        @Override
        public String describe() {
            return String.format("weka: %s, %d requests, %d distinct blocks of %d tokens, %d bytes a full block, "
                            + "at most %d blocks a request", trace.name(), trace.requests(), trace.uniqueBlocks(),
                    trace.blockTokens(), fullBlockBytes, maxBlocks);
        }
    }
}
