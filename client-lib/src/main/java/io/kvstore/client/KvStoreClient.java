package io.kvstore.client;

import io.kvstore.core.hybrid.Group;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.Frame;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.HybridLookupReply;
import io.kvstore.protocol.body.HybridLookupRequest;
import io.kvstore.protocol.body.KeyOutcome;
import io.kvstore.protocol.body.LookupReply;
import io.kvstore.protocol.body.LookupRequest;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.protocol.body.StatusList;
import io.kvstore.protocol.body.TierCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The Java client of the kvstore daemon.
 *
 * <p>Every call names its {@link Namespace}; the client keeps one connection per namespace (a HELLO binds a
 * connection to one namespace), opens it on first use, reuses it for every later call, and reopens it if it
 * closed (calls in flight at that moment fail with {@link KvStoreException.ConnectionClosed}; the next call
 * reconnects). Requests on one connection are pipelined.
 *
 * <p>Each operation has an async form returning a {@link CompletableFuture} ({@code ...Async}) and a blocking
 * form that waits up to the request timeout. Failures are {@link KvStoreException}s whose message says what
 * the server answered, e.g. {@code server answered AUTH_FAILED to HELLO: unknown auth token}.
 *
 * <p>Buffers: {@link ReceivedBlock}s hold network buffers until closed; put payloads are read (not copied)
 * while the request is written. Thread-safe; {@link #close()} is idempotent and fails later calls with
 * {@link IllegalStateException}.
 */
public final class KvStoreClient implements AutoCloseable {

    private final ClientOptions options;
    private final ClientTransport transport = ClientTransport.select();
    private final EventLoopGroup group;
    private final Map<Namespace, ClientConnection> connections = new ConcurrentHashMap<>();
    /** Idle plain sockets for blocking LOOKUPs, per namespace (see {@link DirectCallChannel}). */
    private final Map<Namespace, java.util.Deque<DirectCallChannel>> directCalls = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    /** The daemon's arena files as mapped by this client, shared by the connections of all its namespaces. */
    private final ArenaMappings arenaMappings = new ArenaMappings();
    private volatile boolean closed;

    private KvStoreClient(ClientOptions options) {
        this.options = options;
        this.group = transport.group(1);
    }

    /** A client for {@code options}; connections are opened on first use. */
    public static KvStoreClient create(ClientOptions options) {
        return new KvStoreClient(options);
    }

    /** Opens (or checks) the connection of {@code ns} now: fails fast on a refused HELLO (wrong token). */
    public void connect(Namespace ns) {
        connection(ns);
    }

    /**
     * The daemon's HTTP admin port as its HELLO reply named it on the connection of {@code ns} (opened if needed);
     * 0 if the daemon has no admin port or did not say.
     */
    public int adminPort(Namespace ns) {
        return connection(ns).hello().adminPort();
    }

    // ---------------------------------------------------------------------------------------------- lookup

    /** LOOKUP of the full blocks of {@code tokens}, hashed with the namespace's {@link PrefixHasher}. */
    public CompletableFuture<PrefixLookup> lookupPrefixAsync(Namespace ns, int[] tokens) {
        return lookupAsync(ns, new PrefixHasher(ns).hash(tokens), 0, false);
    }

    public PrefixLookup lookupPrefix(Namespace ns, int[] tokens) {
        return lookup(ns, new PrefixHasher(ns).hash(tokens));
    }

    /**
     * LOOKUP of explicit keys. With {@code leaseMillis > 0} the hit blocks are protected from eviction that long;
     * with {@code prefetch} the server promotes lower-tier hits toward the top tier.
     */
    public CompletableFuture<PrefixLookup> lookupAsync(Namespace ns, List<BlockKey> keys, int leaseMillis,
                                                       boolean prefetch) {
        int flags = (leaseMillis > 0 ? FrameDescriptor.FLAG_LEASE : 0) | (prefetch ? FrameDescriptor.FLAG_PREFETCH : 0);
        int max;
        try {
            max = keys.size() > 1 ? maxKeys(ns) : 1;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (keys.size() > max) { // the server takes maxKeysPerRequest keys a request: ask in turn
            return lookupFrom(ns, keys, leaseMillis, flags, max, 0, new ArrayList<>());
        }
        return unary(ns, Opcode.LOOKUP, flags, lookupBody(leaseMillis, keys), f -> lookupAnswer(keys, f.body()));
    }

    /** LOOKUP of {@code keys} from {@code from} on, a request of at most maxKeysPerRequest keys at a time. */
    private CompletableFuture<PrefixLookup> lookupFrom(Namespace ns, List<BlockKey> keys, int leaseMillis, int flags,
                                                       int max, int from, List<String> tiers) {
        List<BlockKey> part = keys.subList(from, Math.min(keys.size(), from + max));
        return unary(ns, Opcode.LOOKUP, flags, lookupBody(leaseMillis, part), f -> lookupAnswer(part, f.body()))
                .thenCompose(p -> {
                    tiers.addAll(p.tiers());
                    int hits = from + p.hitBlocks();
                    if (p.hitBlocks() < part.size() || hits == keys.size()) { // the prefix ends here
                        return CompletableFuture.completedFuture(new PrefixLookup(List.copyOf(keys), hits,
                                List.copyOf(tiers)));
                    }
                    return lookupFrom(ns, keys, leaseMillis, flags, max, hits, tiers);
                });
    }

    /** The most keys (or blocks) one request may carry: the server's {@code maxKeysPerRequest}. */
    private int maxKeys(Namespace ns) {
        return connection(ns).maxKeysPerRequest();
    }

    private static ByteBuf lookupBody(int leaseMillis, List<BlockKey> keys) {
        ByteBuf body = Unpooled.buffer(8 + keys.size() * BlockKey.BYTES);
        new LookupRequest(leaseMillis, keys).write(body);
        return body;
    }

    private static PrefixLookup lookupAnswer(List<BlockKey> keys, ByteBuf body) {
        LookupReply r = LookupReply.read(body);
        return new PrefixLookup(List.copyOf(keys), r.hitBlocks(), r.tiers());
    }

    /**
     * Blocking LOOKUP of explicit keys. With {@code directCalls} (the default) the calling thread does the round trip
     * on a pooled plain socket ({@link DirectCallChannel}), the lowest-latency path; otherwise through the event loop.
     */
    public PrefixLookup lookup(Namespace ns, List<BlockKey> keys) {
        if (!options.directCalls() || keys.size() > 1 && keys.size() > maxKeys(ns)) {
            return await(lookupAsync(ns, keys, 0, false));
        }
        if (closed) {
            throw new IllegalStateException("client is closed");
        }
        java.util.Deque<DirectCallChannel> pool = directCalls.computeIfAbsent(ns,
                n -> new java.util.concurrent.ConcurrentLinkedDeque<>());
        DirectCallChannel ch = pool.pollFirst();
        if (ch == null) {
            ch = DirectCallChannel.open(options, ns);
        }
        try {
            ByteBuf answer = ch.call(Opcode.LOOKUP, 0, lookupBody(0, keys));
            try {
                return lookupAnswer(keys, answer);
            } catch (RuntimeException e) {
                ch.close();
                throw unreadable(e);
            }
        } catch (java.io.IOException e) {
            throw new KvStoreException.ConnectionClosed("connection to " + options.address()
                    + " failed: " + e, e);
        } finally {
            if (ch.broken() || closed) {
                ch.close();
            } else {
                pool.offerFirst(ch);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- get

    /**
     * GET: streams the cached prefix of {@code keys} in order, each block as soon as it arrives, with
     * backpressure (see {@link BlockStream}). Close the stream and every block taken from it.
     */
    public BlockStream streamPrefix(Namespace ns, List<BlockKey> keys) {
        ClientConnection c = connection(ns);
        int max = c.maxKeysPerRequest();
        if (keys.size() > max) { // a GET of at most maxKeysPerRequest keys, then the next if that one was all hits
            BlockStream first = streamPrefix(ns, keys.subList(0, max));
            first.continueWith(max, () -> streamPrefix(ns, keys.subList(max, keys.size())));
            return first;
        }
        List<ReceivedBlock> first = List.of();
        List<BlockKey> rest = keys;
        ShmReader shm = c.shm();
        if (shm != null && !keys.isEmpty()) { // same host: the DRAM-resident prefix is read in place
            ShmReader.Result r = await(shm.read(keys));
            first = r.blocks();
            if (!r.more()) {
                return BlockStream.completed(c, first, options.requestTimeout(), options.streamWindow());
            }
            rest = keys.subList(first.size(), keys.size());
        }
        ByteBuf body = Unpooled.buffer(4 + rest.size() * BlockKey.BYTES);
        Wire.writeKeys(body, rest);
        return c.stream(Opcode.GET, body, first);
    }

    /** GET of the full blocks of {@code tokens}. */
    public BlockStream streamPrefix(Namespace ns, int[] tokens) {
        return streamPrefix(ns, new PrefixHasher(ns).hash(tokens));
    }

    /** GET collected into a list (the caller closes each block). */
    public List<ReceivedBlock> getBlocks(Namespace ns, List<BlockKey> keys) {
        List<ReceivedBlock> out = new ArrayList<>();
        try (BlockStream s = streamPrefix(ns, keys)) {
            while (s.hasNext()) {
                out.add(s.next());
            }
        } catch (RuntimeException e) {
            out.forEach(ReceivedBlock::close);
            throw e;
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------- put

    /**
     * PUT: one frame per block, then the ack. With {@code persisted} the ack says whether every block is in a
     * durable tier. On the server's host with shared memory attached (as for {@link #streamPrefix}), the blocks are
     * copied straight into the server's shared DRAM arena instead (SHM_PUT, SHM_COMMIT: no socket copies); the
     * ones the shared tier does not take then go over the socket. The ack is the same either way.
     */
    public CompletableFuture<PutAck> putBlocksAsync(Namespace ns, List<BlockPayload> blocks, boolean persisted) {
        if (blocks.isEmpty()) {
            return CompletableFuture.completedFuture(new PutAck(List.of(), persisted));
        }
        ClientConnection c = connection(ns);
        ShmWriter shm = c.shmWriter();
        if (shm != null && shm.supported()) {
            return shm.put(blocks, persisted, rest -> putOverSocket(c, rest, persisted));
        }
        return putOverSocket(c, blocks, persisted);
    }

    private static CompletableFuture<PutAck> putOverSocket(ClientConnection c, List<BlockPayload> blocks,
                                                           boolean persisted) {
        int max = c.maxKeysPerRequest();
        if (blocks.size() > max) { // PUTs of at most maxKeysPerRequest blocks, one after the other
            return Requests.inTurn(Requests.parts(blocks, max), part -> putOverSocket(c, part, persisted))
                    .thenApply(acks -> PutAck.concat(acks, persisted));
        }
        long id = c.nextId();
        CompletableFuture<Frame> f = c.register(id, Opcode.PUT);
        for (int i = 0; i < blocks.size(); i++) {
            BlockPayload b = blocks.get(i).checksummed();
            boolean last = i == blocks.size() - 1;
            boolean tokens = b.tokenIds() != null && c.hello().wantsTokenIds();
            ByteBuf body = blockBody(c.channel().alloc(), b, tokens);
            int flags = (last ? FrameDescriptor.FLAG_END : 0) | (persisted ? FrameDescriptor.FLAG_ACK_PERSISTED : 0)
                    | (tokens ? FrameDescriptor.FLAG_TOKENS : 0);
            c.write(Frame.request(Opcode.PUT, flags, id, body), last || i % 8 == 7);
        }
        return map(f, fr -> PutAck.read(fr.body()));
    }

    /**
     * A PUT frame's body for one block, all of it in direct memory: Netty's epoll and io_uring transports write such
     * a buffer as it is (one writev) and copy any other whole into memory allocated, zeroed and freed for that one
     * write, on the event loop. With the block header on the heap beside a 4 MiB direct payload that copy was the
     * client's PUT bound: 1.5 GB/s against 3.9-4.2 without it (docs/java-client.md, "PUT bandwidth"). A payload on
     * the heap is copied here, on the caller's thread, into pooled direct memory (2.1-2.3 GB/s, from 1.45).
     */
    static ByteBuf blockBody(ByteBufAllocator alloc, BlockPayload b, boolean tokens) {
        ByteBuf head = alloc.directBuffer(io.kvstore.protocol.BlockDescriptor.BYTES
                + (tokens ? 4 + 4 * b.tokenIds().length : 0));
        ByteBuf payload = null;
        try {
            Wire.writeBlockHeader(head, b.meta());
            if (tokens) {
                Wire.writeTokenIds(head, b.tokenIds());
            }
            ByteBuffer p = b.payload().duplicate();
            if (p.isDirect()) {
                payload = Unpooled.wrappedBuffer(p);
            } else {
                payload = PooledByteBufAllocator.DEFAULT.directBuffer(p.remaining());
                payload.writeBytes(p);
            }
            return Unpooled.wrappedBuffer(head, payload);
        } catch (RuntimeException | Error e) {
            head.release();
            if (payload != null) {
                payload.release();
            }
            throw e;
        }
    }

    public PutAck putBlocks(Namespace ns, List<BlockPayload> blocks) {
        return await(putBlocksAsync(ns, blocks, false));
    }

    /**
     * PUT of only the blocks the server does not hold (LMCache's {@code skip_existing}): one EXISTS round trip for
     * all their keys, then a PUT of those answered {@code NOT_FOUND}. The ack has one status per block of {@code
     * blocks}, in order, {@code ALREADY_PRESENT} for those not sent. Worth it when the blocks are large and some
     * may be cached already: an engine that missed in the middle of a prefix (a block evicted, the ones after it
     * still cached) prefills and stores everything after the miss, and the cached ones need not cross the wire
     * again. A block evicted between the two round trips is simply not stored this time.
     */
    public CompletableFuture<PutAck> putMissingAsync(Namespace ns, List<BlockPayload> blocks, boolean persisted) {
        if (blocks.isEmpty()) {
            return CompletableFuture.completedFuture(new PutAck(List.of(), persisted));
        }
        List<BlockKey> keys = new ArrayList<>(blocks.size());
        for (BlockPayload b : blocks) {
            keys.add(b.meta().key());
        }
        return existsAsync(ns, keys).thenCompose(present -> {
            List<BlockPayload> missing = new ArrayList<>(blocks.size());
            for (int i = 0; i < blocks.size(); i++) {
                if (present.get(i) == KeyOutcome.NOT_FOUND) {
                    missing.add(blocks.get(i));
                }
            }
            return putBlocksAsync(ns, missing, persisted).thenApply(ack -> {
                List<PutCode> all = new ArrayList<>(blocks.size());
                int sent = 0;
                for (int i = 0; i < blocks.size(); i++) {
                    all.add(present.get(i) == KeyOutcome.NOT_FOUND ? ack.statuses().get(sent++)
                            : PutCode.ALREADY_PRESENT);
                }
                return new PutAck(all, missing.isEmpty() ? persisted : ack.durable());
            });
        });
    }

    /** {@link #putMissingAsync}, waiting for the ack. */
    public PutAck putMissing(Namespace ns, List<BlockPayload> blocks) {
        return await(putMissingAsync(ns, blocks, false));
    }

    // ---------------------------------------------------------------------------------------------- hybrid

    /**
     * True if the daemon answers HYBRID_LOOKUP (its HELLO reply on the connection of {@code ns} says so); older
     * daemons do not, and {@code io.kvstore.client.hybrid.HybridLookup} then computes the resume point itself.
     */
    public boolean answersHybridLookup(Namespace ns) {
        return connection(ns).hello().answersHybridLookup();
    }

    /**
     * HYBRID_LOOKUP (docs/protocol.md, "Hybrid models"): where a model with these {@code groups} can resume a prompt
     * whose prefix keys are {@code keys}, and the tier of each object to read, in one round trip. With {@code
     * leaseMillis > 0} every object of the answer is protected from eviction that long; with {@code prefetch} the
     * server promotes the lower-tier ones. Fails with UNKNOWN_OPCODE on a daemon that does not
     * {@linkplain #answersHybridLookup answer it}.
     */
    public CompletableFuture<HybridLookupReply> hybridLookupAsync(Namespace ns, List<Group> groups,
                                                                  List<BlockKey> keys, int leaseMillis,
                                                                  boolean prefetch) {
        int flags = (leaseMillis > 0 ? FrameDescriptor.FLAG_LEASE : 0) | (prefetch ? FrameDescriptor.FLAG_PREFETCH : 0);
        ByteBuf body = Unpooled.buffer(16 + 5 * groups.size() + keys.size() * BlockKey.BYTES);
        new HybridLookupRequest(leaseMillis, groups, keys).write(body);
        return unary(ns, Opcode.HYBRID_LOOKUP, flags, body, f -> HybridLookupReply.read(f.body()));
    }

    public HybridLookupReply hybridLookup(Namespace ns, List<Group> groups, List<BlockKey> keys, int leaseMillis) {
        return await(hybridLookupAsync(ns, groups, keys, leaseMillis, false));
    }

    // --------------------------------------------------------------------------------------- key operations

    public CompletableFuture<List<KeyOutcome>> existsAsync(Namespace ns, List<BlockKey> keys) {
        return keyOp(ns, Opcode.EXISTS, keys);
    }

    public CompletableFuture<List<KeyOutcome>> deleteAsync(Namespace ns, List<BlockKey> keys) {
        return keyOp(ns, Opcode.DELETE, keys);
    }

    public CompletableFuture<List<KeyOutcome>> pinAsync(Namespace ns, List<BlockKey> keys) {
        return keyOp(ns, Opcode.PIN, keys);
    }

    public CompletableFuture<List<KeyOutcome>> unpinAsync(Namespace ns, List<BlockKey> keys) {
        return keyOp(ns, Opcode.UNPIN, keys);
    }

    public List<KeyOutcome> exists(Namespace ns, List<BlockKey> keys) {
        return await(existsAsync(ns, keys));
    }

    public List<KeyOutcome> delete(Namespace ns, List<BlockKey> keys) {
        return await(deleteAsync(ns, keys));
    }

    public List<KeyOutcome> pin(Namespace ns, List<BlockKey> keys) {
        return await(pinAsync(ns, keys));
    }

    public List<KeyOutcome> unpin(Namespace ns, List<BlockKey> keys) {
        return await(unpinAsync(ns, keys));
    }

    // ----------------------------------------------------------------------------------------- stats, ping

    /** Server counters per tier, as seen through the connection of {@code ns}. */
    public CompletableFuture<ServerStats> statsAsync(Namespace ns) {
        return unary(ns, Opcode.STATS, 0, Unpooled.EMPTY_BUFFER, f -> {
            long blocks = f.body().readLong();
            return new ServerStats(blocks, TierCounters.readTiers(f.body()));
        });
    }

    public ServerStats stats(Namespace ns) {
        return await(statsAsync(ns));
    }

    /** Round trip through the connection of {@code ns}; completes with the elapsed nanoseconds. */
    public CompletableFuture<Long> pingAsync(Namespace ns) {
        long t0 = System.nanoTime();
        return unary(ns, Opcode.PING, 0, Unpooled.EMPTY_BUFFER, f -> System.nanoTime() - t0);
    }

    /**
     * Server counters.
     *
     * @param blocks blocks cached in all tiers
     * @param tiers  per-tier counters, top first
     */
    public record ServerStats(long blocks, List<TierCounters> tiers) {
    }

    // ------------------------------------------------------------------------------------------- internals

    private CompletableFuture<List<KeyOutcome>> keyOp(Namespace ns, Opcode op, List<BlockKey> keys) {
        int max;
        try {
            max = keys.size() > 1 ? maxKeys(ns) : 1;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (keys.size() > max) { // requests of at most maxKeysPerRequest keys, one after the other
            return Requests.inTurn(Requests.parts(keys, max), part -> keyOp(ns, op, part))
                    .thenApply(parts -> parts.stream().flatMap(List::stream).toList());
        }
        ByteBuf body = Unpooled.buffer(4 + keys.size() * BlockKey.BYTES);
        Wire.writeKeys(body, keys);
        return unary(ns, op, 0, body, f -> {
            StatusList s = StatusList.read(f.body());
            List<KeyOutcome> out = new ArrayList<>(s.size());
            for (int i = 0; i < s.size(); i++) {
                out.add(KeyOutcome.of(s.code(i)));
            }
            return out;
        });
    }

    private <T> CompletableFuture<T> unary(Namespace ns, Opcode op, int flags, ByteBuf body, Function<Frame, T> read) {
        ClientConnection c;
        try {
            c = connection(ns);
        } catch (RuntimeException e) {
            body.release();
            return CompletableFuture.failedFuture(e);
        }
        return map(c.call(op, flags, body), read);
    }

    private static <T> CompletableFuture<T> map(CompletableFuture<Frame> f, Function<Frame, T> read) {
        return f.thenApply(fr -> {
            try {
                return read.apply(fr);
            } catch (RuntimeException e) {
                throw unreadable(e);
            } finally {
                fr.release();
            }
        });
    }

    private static KvStoreException unreadable(RuntimeException e) {
        return new KvStoreException("cannot read the server's answer: " + e.getMessage(), e);
    }

    /** Test hook: the connection of {@code ns}. */
    ClientConnection connectionForTest(Namespace ns) {
        return connection(ns);
    }

    private ClientConnection connection(Namespace ns) {
        if (closed) {
            throw new IllegalStateException("client is closed");
        }
        ClientConnection c = connections.get(ns);
        if (c != null && c.isOpen()) {
            return c;
        }
        synchronized (this) {
            c = connections.get(ns);
            if (c == null || !c.isOpen()) {
                c = ClientConnection.open(group, transport, options, ns, ids, arenaMappings);
                connections.put(ns, c);
            }
            return c;
        }
    }

    private <T> T await(CompletableFuture<T> f) {
        SpinWait.spin(options.spinWait(), f::isDone);
        try {
            return f.get(options.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof KvStoreException k) {
                throw k;
            }
            throw new KvStoreException("request failed: " + c, c);
        } catch (TimeoutException e) {
            throw new KvStoreException.Timeout("no answer within " + options.requestTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvStoreException("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        directCalls.values().forEach(p -> p.forEach(DirectCallChannel::close));
        directCalls.clear();
        connections.values().forEach(ClientConnection::close);
        connections.clear();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
