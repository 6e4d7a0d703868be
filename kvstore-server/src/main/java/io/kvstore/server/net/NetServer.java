package io.kvstore.server.net;


import io.kvstore.core.tier.SharedMemoryExport;
import io.kvstore.core.store.TieredStore;
import io.kvstore.protocol.FrameDecoder;
import io.kvstore.protocol.PayloadReadAllocator;
import io.kvstore.protocol.FrameEncoder;
import io.kvstore.protocol.Opcode;
import io.kvstore.server.admin.ServerMetrics;
import io.kvstore.server.auth.TenantQuotas;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.tier.TierFactory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.EnumMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The protocol server: a Netty server socket whose child pipelines are {@link FrameDecoder} (length-field
 * framing, malformed input as error values), {@link FrameEncoder} and a {@link Connection} that runs each
 * request through the {@link OpHandler} of its opcode. Owns its event loops and the bounded blocking pool;
 * does not own the store. {@link #close()} drains: it stops accepting, answers new requests SHUTTING_DOWN,
 * waits up to {@code shutdownGraceMillis} for in-flight requests, then closes every connection.
 */
public final class NetServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NetServer.class);

    private final ServerConfig config;
    private final ServerContext sc;
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final BlockingPool blocking;
    /** One thread for the whole server that looks for requests running for too long ({@link Connection#checkStuck}). */
    private final java.util.concurrent.ScheduledExecutorService watchdog =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kvstore-watchdog");
                t.setDaemon(true);
                return t;
            });
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Lifecycle lifecycle = new Lifecycle();
    private final ShmLeases shm;
    private Channel serverChannel;
    private boolean closed;

    public NetServer(ServerConfig config, TieredStore store, List<TierFactory.Level> levels, ServerMetrics metrics) {
        this(config, store, levels, metrics, new TenantQuotas(config.tenantQuotaBytes()));
    }

    /** With the tenant quotas the store reports its evictions and deletions to. */
    public NetServer(ServerConfig config, TieredStore store, List<TierFactory.Level> levels, ServerMetrics metrics,
                     TenantQuotas quotas) {
        this(config, store, levels, metrics, quotas, null);
    }

    /** With the KV-event publisher that PUTs hand their token ids to (null = events off). */
    public NetServer(ServerConfig config, TieredStore store, List<TierFactory.Level> levels, ServerMetrics metrics,
                     TenantQuotas quotas, io.kvstore.server.events.KvEventPublisher events) {
        this.config = config;
        this.transport = Transport.select(config.transport());
        this.blocking = new BlockingPool("kvstore-blocking", config.blockingThreads(), config.blockingQueueDepth());
        this.shm = sharedMemory(config, store, levels);
        this.sc = ServerContext.of(config, store, levels, metrics, blocking, lifecycle, quotas, shm, events);
        metrics.gauge("kvstore_blocking_queue_depth", "Tasks waiting for the blocking pool",
                blocking::waiting);
        metrics.gauge("kvstore_blocking_queue_limit", "Capacity of the blocking pool's queue",
                config::blockingQueueDepth);
        metrics.gauge("kvstore_inflight_requests", "Requests queued or running on all connections",
                lifecycle::inFlight);
        metrics.gauge("kvstore_open_connections", "Open connections", this::connections); // not the listening channel
        this.boss = transport.group(1);
        this.workers = transport.group(config.ioThreads());
    }

    /** Binds the data port; returns the bound port (useful with port 0). */
    public int start() throws InterruptedException {
        EnumMap<Opcode, OpHandler> handlers = handlers();
        ServerBootstrap b = transport.serverBootstrap(boss, workers, config.writeBufferLowBytes(),
                config.writeBufferHighBytes(), ch -> {
                    channels.add(ch);
                    Connection connection = new Connection(sc, handlers);
                    FrameDecoder decoder = new FrameDecoder(sc.limits(), new PutPayloads(sc, connection.session));
                    ch.config().setRecvByteBufAllocator(
                            new PayloadReadAllocator(ch.config().getRecvByteBufAllocator(), decoder::readTarget));
                    ch.pipeline().addLast("decoder", decoder)
                            .addLast("encoder", FrameEncoder.INSTANCE)
                            .addLast("connection", connection);
                });
        serverChannel = b.bind(config.bindAddress(), config.port()).sync().channel();
        watchdog.scheduleAtFixedRate(this::checkStuck, 5, 5, TimeUnit.SECONDS);
        channels.add(serverChannel);
        LOG.info("protocol server on {}:{} ({} transport)", config.bindAddress(), port(), transport.name());
        return port();
    }

    /** Names {@code port} as the admin port in HELLO replies (kvctl finds the admin port this way). */
    public void advertiseAdminPort(int port) {
        sc.adminPort().set(Math.max(port, 0));
    }

    /** The bound port. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** {@code epoll} or {@code nio}. */
    public String transportName() {
        return transport.name();
    }

    /** Open client connections. */
    public int connections() {
        return Math.max(0, channels.size() - 1);
    }

    private static EnumMap<Opcode, OpHandler> handlers() {
        EnumMap<Opcode, OpHandler> m = new EnumMap<>(Opcode.class);
        m.put(Opcode.HELLO, new HelloHandler());
        m.put(Opcode.LOOKUP, new LookupHandler());
        m.put(Opcode.HYBRID_LOOKUP, new HybridLookupHandler());
        m.put(Opcode.GET, new GetHandler());
        m.put(Opcode.PUT, new PutHandler());
        m.put(Opcode.EXISTS, new KeysHandler(Opcode.EXISTS));
        m.put(Opcode.DELETE, new KeysHandler(Opcode.DELETE));
        m.put(Opcode.PIN, new KeysHandler(Opcode.PIN));
        m.put(Opcode.UNPIN, new KeysHandler(Opcode.UNPIN));
        m.put(Opcode.STATS, new StatsHandler());
        m.put(Opcode.PING, new PingHandler());
        m.put(Opcode.SHM_ATTACH, new ShmHandlers.Attach());
        m.put(Opcode.SHM_GET, new ShmHandlers.Get());
        m.put(Opcode.SHM_RELEASE, new ShmHandlers.Release());
        m.put(Opcode.SHM_PUT, new ShmPutHandlers.Put());
        m.put(Opcode.SHM_COMMIT, new ShmPutHandlers.Commit());
        return m;
    }

    /** The shared-memory leases, or null when shared memory is off ({@code dramSharedMemoryDir} unset). */
    public ShmLeases shmLeases() {
        return shm;
    }

    private static ShmLeases sharedMemory(ServerConfig config, TieredStore store, List<TierFactory.Level> levels) {
        if (config.dramSharedMemoryDir() == null) {
            return null;
        }
        for (TierFactory.Level l : levels) {
            Optional<SharedMemoryExport> export = l.spec().tier().sharedMemory();
            if (export.isPresent()) {
                LOG.info("shared-memory reads offered from {}", export.get().directory());
                return new ShmLeases(l.spec().tier(), store.clock(), 200);
            }
        }
        throw new IllegalArgumentException("dramSharedMemoryDir is set but there is no file-backed DRAM tier");
    }

    private void checkStuck() {
        long now = System.nanoTime();
        for (Channel ch : channels) {
            Connection c = ch.pipeline().get(Connection.class);
            if (c != null) {
                c.checkStuck(now);
            }
        }
    }

    /** Drains and stops; idempotent. */
    @Override
    public synchronized void close() {
        watchdog.shutdownNow();
        if (closed) {
            return;
        }
        closed = true;
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        lifecycle.drain();
        long deadline = System.nanoTime() + config.shutdownGraceMillis() * 1_000_000L;
        while (lifecycle.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (lifecycle.inFlight() > 0) {
            LOG.warn("shutdown: {} requests still in flight after {} ms; closing connections", lifecycle.inFlight(),
                    config.shutdownGraceMillis());
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (shm != null) {
            shm.close();
        }
        blocking.shutdownAndWait();
    }
}
