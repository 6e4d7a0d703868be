package io.kvstore.tier.remote;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.core.tier.TierStats;
import io.kvstore.tier.remote.BlockRecordDescriptor.Header;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * A {@link Tier} shared by many kvstore daemons, kept in a Redis Cluster (or Valkey) through Lettuce.
 *
 * <h2>How the pieces fit</h2>
 * Each block is a header key plus up to 1 MiB pieces, all under one hash tag so that they live on one shard
 * ({@link BlockRecordDescriptor} has the layout). Presence of the header key is the cluster-wide index: any
 * daemon finds any block another daemon wrote, with one GET. A put checks for the header, writes the pieces, then
 * writes the header with {@code NX} (so of two daemons racing on one block, one stores it, the other is told
 * {@link PutOutcome#ALREADY_PRESENT}); a remove deletes header and pieces in one {@code DEL}. A read gets the
 * header, then every piece with one {@code MGET}, assembles them into a pooled direct buffer
 * ({@link ReadBufferPool}, bounded) and verifies the payload's CRC32C; the handle it returns gives the buffer
 * back to the pool when the last reference closes. A damaged header or payload is answered
 * {@link ReadResult.Outcome#CORRUPT}, deleted and counted; a block whose pieces Redis evicted one by one
 * ({@code allkeys-*} policies evict keys, not blocks) is a miss and its remains are deleted.
 *
 * <h2>Capacity</h2>
 * Redis owns capacity: {@code maxmemory} and an LRU/LFU {@code maxmemory-policy} evict across the whole cluster,
 * whoever wrote the block. What this object counts is its own <em>ledger</em>: the {@link #footprint} of the
 * blocks this instance wrote (or found through {@code meta}/{@code read} hits of its own writes) and has not seen
 * disappear. {@link #usedBytes()} and {@link #blockCount()} report the ledger, and {@link #capacityBytes()} is a
 * per-node write budget checked against it (a put past it answers {@link PutOutcome#NO_CAPACITY}). With the
 * default {@link RemoteTierConfig#UNBOUNDED} budget only Redis evicts. The ledger forgets a block when a read,
 * meta or remove finds it gone, so it drifts above the truth by what Redis evicted and nobody has asked for
 * since; it is an upper bound of this node's share, not a cluster-wide figure.
 *
 * <h2>Failure</h2>
 * Every operation has a deadline ({@code timeoutMillis}); a shard that is down, slow or failing over makes reads
 * misses, puts {@link PutOutcome#FAILED}, removes false — never exceptions (exceptions remain for misuse and for
 * use after close). Each shard (a master node id) has a {@link CircuitBreaker}: after a run of failures it
 * refuses calls for a while, then lets one probe through. The Lettuce client refreshes the cluster topology
 * periodically and on MOVED redirects and reconnects, so when a replica is promoted its slots are routed to it
 * (a new node id, hence a new, closed breaker) and hits resume.
 *
 * <p>Thread-safety: all methods may be called concurrently; the Lettuce connection is shared and pipelined.
 */
public final class RemoteTier implements Tier {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteTier.class);
    /** Rough per-key cost in Redis (dict entry, robj, SDS header, key name), used by {@link #footprint}. */
    static final int KEY_OVERHEAD_BYTES = 128;
    /** Bound on commands queued per node connection (while disconnected, or in flight). */
    static final int REQUEST_QUEUE_SIZE = 4096;

    private final RemoteTierConfig config;
    private final NanoClock clock;
    private final long timeoutNanos;
    private final ClientResources resources;
    private final RedisClusterClient client;
    private final StatefulRedisClusterConnection<byte[], byte[]> connection;
    private final RedisAdvancedClusterAsyncCommands<byte[], byte[]> redis;
    private final ReadBufferPool pool;
    private final ShardGuard guard;
    private final WriteLedger ledger;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder partial = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder raced = new LongAdder();

    private RemoteTier(RemoteTierConfig config, NanoClock clock) {
        this.config = config;
        this.clock = clock;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        this.pool = new ReadBufferPool(config.readPoolBytes());
        List<RedisURI> uris = new ArrayList<>();
        for (String s : config.seeds()) {
            int colon = s.lastIndexOf(':');
            uris.add(RedisURI.builder().withHost(s.substring(0, colon))
                    .withPort(Integer.parseInt(s.substring(colon + 1)))
                    .withTimeout(Duration.ofMillis(config.timeoutMillis())).build());
        }
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        RedisClusterClient c = RedisClusterClient.create(resources, uris);
        try {
            Duration refresh = Duration.ofMillis(config.topologyRefreshMillis());
            c.setOptions(ClusterClientOptions.builder()
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(refresh)
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(
                                    Duration.ofMillis(Math.min(1000, config.topologyRefreshMillis())))
                            .refreshTriggersReconnectAttempts(2)
                            .build())
                    .timeoutOptions(TimeoutOptions.enabled(Duration.ofMillis(config.timeoutMillis())))
                    .socketOptions(SocketOptions.builder()
                            .connectTimeout(Duration.ofMillis(config.connectTimeoutMillis())).build())
                    // queue while a node (re)connects, bounded in count and (timeoutOptions) in time; rejecting
                    // instead would also refuse the first commands to a node whose connection is being opened
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                    .requestQueueSize(REQUEST_QUEUE_SIZE)
                    .autoReconnect(true)
                    .maxRedirects(3)
                    .build());
            this.connection = c.connect(ByteArrayCodec.INSTANCE);
        } catch (RuntimeException e) {
            c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            throw new RemoteTierUnavailableException("cannot reach Redis Cluster at " + config.seeds(), e);
        }
        this.client = c;
        this.redis = connection.async();
        this.guard = new ShardGuard(config.name(), config, clock, timeoutNanos, connection);
        this.ledger = new WriteLedger(config.capacityBytes());
    }

    /**
     * Connects to the cluster (blocking until the topology is known).
     *
     * @throws RemoteTierUnavailableException if no seed answers
     */
    public static RemoteTier open(RemoteTierConfig config) {
        return open(config, NanoClock.system());
    }

    /** {@link #open(RemoteTierConfig)} with an injected clock for deadlines and circuit breakers. */
    public static RemoteTier open(RemoteTierConfig config, NanoClock clock) {
        return new RemoteTier(config, clock);
    }

    // ------------------------------------------------------------------------------------------------ Tier SPI

    @Override
    public String name() {
        return config.name();
    }

    /** This node's write budget (see the class comment); Redis's maxmemory is the cluster-wide bound. */
    @Override
    public long capacityBytes() {
        return config.capacityBytes();
    }

    /** Footprint of the blocks in this node's ledger. */
    @Override
    public long usedBytes() {
        return ledger.usedBytes();
    }

    /** Blocks in this node's ledger (not the cluster-wide count). */
    @Override
    public long blockCount() {
        return ledger.blocks();
    }

    /** Payload, header and an estimate of Redis's per-key overhead for the header and each piece. */
    @Override
    public long footprint(int length) {
        int pieces = BlockRecordDescriptor.pieceCount(length, config.pieceBytes());
        return (long) length + BlockRecordDescriptor.HEADER_BYTES + (long) (pieces + 1) * KEY_OVERHEAD_BYTES;
    }

    /** Other daemons write to and delete from this tier, and Redis evicts from it on its own. */
    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        checkOpen();
        if (payload.remaining() != meta.length()) {
            throw new IllegalArgumentException("payload has " + payload.remaining() + " bytes, metadata says "
                    + meta.length());
        }
        long fp = footprint(meta.length());
        if (fp > config.capacityBytes()) {
            return PutOutcome.TOO_LARGE;
        }
        BlockKey key = meta.key();
        // no shortcut through the ledger: Redis may have evicted a block this node wrote, and then it is re-sent
        if (!ledger.reserve(fp)) {
            return PutOutcome.NO_CAPACITY;
        }
        boolean keep = false;
        try {
            byte[] metaKey = BlockRecordDescriptor.metaKey(config.keyPrefix(), key);
            PutOutcome o = guard.guarded(metaKey, deadline -> write(meta, payload, metaKey, deadline), PutOutcome.FAILED);
            if (o == PutOutcome.STORED) {
                ledger.stored(key, fp);
                keep = true;
                bytesWritten.add(meta.length());
            }
            return o;
        } finally {
            if (!keep) {
                ledger.unreserve(fp);
            }
        }
    }

    private PutOutcome write(BlockMeta meta, ByteBuffer payload, byte[] metaKey, long deadline) throws Exception {
        if (await(redis.exists(metaKey), deadline) > 0) {
            return PutOutcome.ALREADY_PRESENT;
        }
        int pieceBytes = config.pieceBytes();
        byte[][] pieceKeys = BlockRecordDescriptor.pieceKeys(config.keyPrefix(), meta.key(),
                BlockRecordDescriptor.pieceCount(meta.length(), pieceBytes));
        List<RedisFuture<String>> sets = new ArrayList<>(pieceKeys.length);
        ByteBuffer src = payload.duplicate();
        for (byte[] pk : pieceKeys) {
            byte[] piece = new byte[Math.min(pieceBytes, src.remaining())];
            src.get(piece);
            sets.add(config.ttlSeconds() > 0 ? redis.set(pk, piece, SetArgs.Builder.ex(config.ttlSeconds()))
                    : redis.set(pk, piece));
        }
        for (RedisFuture<String> f : sets) {
            await(f, deadline);
        }
        SetArgs nx = SetArgs.Builder.nx();
        if (config.ttlSeconds() > 0) {
            nx = nx.ex(config.ttlSeconds());
        }
        String ok = await(redis.set(metaKey, BlockRecordDescriptor.encode(meta, pieceBytes, System.currentTimeMillis()),
                nx), deadline);
        if (ok == null) {
            raced.increment(); // another daemon stored the same block meanwhile; same key, same bytes
            return PutOutcome.ALREADY_PRESENT;
        }
        return PutOutcome.STORED;
    }

    @Override
    public ReadResult read(BlockKey key) {
        checkOpen();
        byte[] metaKey = BlockRecordDescriptor.metaKey(config.keyPrefix(), key);
        ReadResult r = guard.guarded(metaKey, deadline -> fetch(key, metaKey, deadline), ReadResult.miss());
        switch (r.outcome()) {
            case HIT -> hits.increment();
            case MISS -> misses.increment();
            case CORRUPT -> {
                corrupt.increment();
                ledger.forget(key);
            }
        }
        return r;
    }

    private ReadResult fetch(BlockKey key, byte[] metaKey, long deadline) throws Exception {
        byte[] hv = await(redis.get(metaKey), deadline);
        if (hv == null) {
            ledger.forget(key);
            return ReadResult.miss();
        }
        Header h = BlockRecordDescriptor.decode(hv, key);
        if (h == null) {
            await(redis.del(metaKey), deadline); // the piece count cannot be trusted; orphans age out under LRU
            return ReadResult.corrupt();
        }
        BlockMeta meta = h.meta();
        byte[][] pieceKeys = BlockRecordDescriptor.pieceKeys(config.keyPrefix(), key, h.pieceCount());
        ByteBuffer buf = pool.acquire(meta.length());
        if (buf == null) {
            return ReadResult.miss(); // too many payloads held by readers: a miss, counted in pool_exhausted_total
        }
        try {
            List<KeyValue<byte[], byte[]>> pieces = pieceKeys.length == 0 ? List.of()
                    : await(redis.mget(pieceKeys), deadline);
            for (int i = 0; i < pieces.size(); i++) {
                KeyValue<byte[], byte[]> kv = pieces.get(i);
                if (!kv.hasValue()) {
                    partial.increment();
                    ledger.forget(key);
                    await(redis.del(allKeys(metaKey, pieceKeys)), deadline);
                    return ReadResult.miss();
                }
                byte[] v = kv.getValue();
                int expected = i < pieceKeys.length - 1 ? h.pieceBytes() : meta.length() - i * h.pieceBytes();
                if (v.length != expected) {
                    await(redis.del(allKeys(metaKey, pieceKeys)), deadline);
                    return ReadResult.corrupt();
                }
                buf.put(v);
            }
            buf.flip();
            if (!Checksums.matches(meta, buf)) {
                await(redis.del(allKeys(metaKey, pieceKeys)), deadline);
                return ReadResult.corrupt();
            }
            ByteBuffer owned = buf;
            RefCountedHandle handle = RefCountedHandle.create(meta, owned, () -> pool.release(owned));
            buf = null;
            bytesRead.add(meta.length());
            return ReadResult.hit(handle);
        } finally {
            if (buf != null) {
                pool.release(buf);
            }
        }
    }

    @Override
    public Optional<BlockMeta> meta(BlockKey key) {
        checkOpen();
        byte[] metaKey = BlockRecordDescriptor.metaKey(config.keyPrefix(), key);
        Optional<Header> h = guard.guarded(metaKey,
                deadline -> Optional.ofNullable(BlockRecordDescriptor.decode(await(redis.get(metaKey), deadline), key)),
                null);
        if (h == null) {
            return Optional.empty(); // unknown: the shard did not answer in time; keep the ledger as it is
        }
        if (h.isEmpty()) {
            ledger.forget(key);
        }
        return h.map(Header::meta);
    }

    @Override
    public boolean remove(BlockKey key) {
        checkOpen();
        ledger.forget(key);
        byte[] metaKey = BlockRecordDescriptor.metaKey(config.keyPrefix(), key);
        return guard.guarded(metaKey, deadline -> {
            byte[] hv = await(redis.get(metaKey), deadline);
            if (hv == null) {
                return false;
            }
            Header h = BlockRecordDescriptor.decode(hv, key);
            byte[][] keys = h == null ? new byte[][] {metaKey}
                    : allKeys(metaKey, BlockRecordDescriptor.pieceKeys(config.keyPrefix(), key, h.pieceCount()));
            return await(redis.del(keys), deadline) > 0;
        }, false);
    }

    /**
     * Visits every block header under this tier's key prefix in the whole cluster (a cluster-wide SCAN, each step
     * bounded by the timeout). Damaged headers are skipped. A shard that fails ends the scan early: the visit is
     * then partial, counted in {@code errors_total}.
     */
    @Override
    public void forEach(Consumer<BlockMeta> visitor) {
        checkOpen();
        ScanArgs args = ScanArgs.Builder.matches(BlockRecordDescriptor.metaPattern(config.keyPrefix())).limit(1000);
        // SCAN may return a key more than once, and a cluster scan walks node by node: a node the client's topology
        // still lists as a master after it became a replica (a cluster just formed, or after a failover) is walked
        // too. Each block is visited once.
        Set<BlockKey> seen = new HashSet<>();
        try {
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<byte[]> page = await(redis.scan(cursor, args), clock.nanoTime() + timeoutNanos);
                Map<BlockKey, RedisFuture<byte[]>> gets = new LinkedHashMap<>();
                for (byte[] k : page.getKeys()) {
                    BlockKey bk = BlockRecordDescriptor.keyOfMetaKey(config.keyPrefix(), k);
                    if (bk != null && seen.add(bk)) {
                        gets.put(bk, redis.get(k));
                    }
                }
                long deadline = clock.nanoTime() + timeoutNanos;
                for (Map.Entry<BlockKey, RedisFuture<byte[]>> e : gets.entrySet()) {
                    Header h = BlockRecordDescriptor.decode(await(e.getValue(), deadline), e.getKey());
                    if (h != null) {
                        visitor.accept(h.meta());
                    }
                }
                cursor = page;
            } while (!cursor.isFinished());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException e) {
            guard.timeouts.increment();
            LOG.warn("{}: cluster scan timed out; visit is partial", name());
        } catch (ExecutionException | RuntimeException e) {
            guard.errors.increment();
            LOG.warn("{}: cluster scan failed; visit is partial: {}", name(), e.toString());
        }
    }

    /**
     * Counters. Details: {@code timeouts_total}, {@code errors_total} (failed calls other than timeouts),
     * {@code breaker_open} (shards whose breaker is open or half-open now), {@code breaker_opened_total},
     * {@code breaker_rejections_total} (calls refused without touching the network), {@code partial_total}
     * (blocks found with evicted pieces), {@code oom_total} (puts refused by Redis's maxmemory),
     * {@code raced_total} (puts that lost an NX race to another daemon), {@code bytes_written_total},
     * {@code bytes_read_total}, {@code read_pool_bytes_in_use}, {@code read_pool_limit_bytes},
     * {@code read_pool_exhausted_total}, {@code timeout_millis}, {@code write_budget_bytes}.
     */
    @Override
    public TierStats stats() {
        Map<String, Long> d = new LinkedHashMap<>();
        guard.stats(d);
        d.put("partial_total", partial.sum());
        d.put("raced_total", raced.sum());
        d.put("bytes_written_total", bytesWritten.sum());
        d.put("bytes_read_total", bytesRead.sum());
        d.put("read_pool_bytes_in_use", pool.inUseBytes());
        d.put("read_pool_limit_bytes", pool.limitBytes());
        d.put("read_pool_exhausted_total", pool.exhaustedCount());
        d.put("timeout_millis", config.timeoutMillis());
        d.put("write_budget_bytes", config.capacityBytes());
        return new TierStats(name(), config.capacityBytes(), ledger.usedBytes(), ledger.blocks(), hits.sum(),
                misses.sum(), corrupt.sum(), d);
    }

    /** The settings this tier runs with. */
    public RemoteTierConfig config() {
        return config;
    }

    /** Closes the connection and the client's threads; idempotent. Handles already returned stay valid. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            connection.close();
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            ledger.clear();
        }
    }

    // ------------------------------------------------------------------------------------------------ internals

    private <T> T await(RedisFuture<T> f, long deadlineNanos)
            throws InterruptedException, ExecutionException, TimeoutException {
        long left = deadlineNanos - clock.nanoTime();
        try {
            return f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw e;
        }
    }

    private static byte[][] allKeys(byte[] metaKey, byte[][] pieceKeys) {
        byte[][] all = new byte[pieceKeys.length + 1][];
        all[0] = metaKey;
        System.arraycopy(pieceKeys, 0, all, 1, pieceKeys.length);
        return all;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new TierClosedException("tier " + name());
        }
    }
}
