package io.kvstore.server.net;


import io.kvstore.core.tier.SharedMemoryExport;
import io.kvstore.core.store.TieredStore;
import io.kvstore.protocol.FrameDecoder;
import io.kvstore.protocol.PayloadReadAllocator;
import io.kvstore.protocol.FrameEncoder;
import io.kvstore.protocol.Opcode;
import io.kvstore.server.admin.ServerMetrics;
import io.kvstore.server.auth.TenantQuotas;
import io.kvstore.server.config.ConfigException;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.tier.TierFactory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.EnumMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The protocol server: a Netty server socket whose child pipelines are {@link FrameDecoder} (length-field
 * framing, malformed input as error values), {@link FrameEncoder} and a {@link Connection} that runs each
 * request through the {@link OpHandler} of its opcode. With {@code dataSocket} the same pipeline also serves a Unix
 * domain socket (same event loops, handlers and sessions; such a peer is on this host, so HELLO may offer shared
 * memory); its file is made mode 0600 and removed at close. Owns its event loops and the bounded blocking pool;
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
    /** The Unix domain socket's listener, or null without {@code dataSocket}. */
    private Channel domainChannel;
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
        metrics.counter("kvstore_blocking_tasks", "Tasks the blocking pool has run (each a hand-off from an event "
                + "loop and back)", blocking::getCompletedTaskCount);
        metrics.gauge("kvstore_inflight_requests", "Requests queued or running on all connections",
                lifecycle::inFlight);
        metrics.gauge("kvstore_open_connections", "Open connections", this::connections); // not the listening channel
        this.boss = transport.group(1);
        this.workers = transport.group(config.eventLoopThreads());
    }

    /** Binds the data port and, with {@code dataSocket}, the data socket; returns the bound port (port 0 = any). */
    public int start() throws InterruptedException {
        EnumMap<Opcode, OpHandler> handlers = handlers();
        ServerBootstrap b = transport.serverBootstrap(boss, workers, config.writeBufferLowBytes(),
                config.writeBufferHighBytes(), ch -> initChild(ch, handlers, false));
        serverChannel = b.bind(config.bindAddress(), config.port()).sync().channel();
        watchdog.scheduleAtFixedRate(this::checkStuck, 5, 5, TimeUnit.SECONDS);
        channels.add(serverChannel);
        LOG.info("protocol server on {}:{} ({} transport)", config.bindAddress(), port(), transport.name());
        if (config.dataSocket() != null) {
            bindDomainSocket(config.dataSocket(), handlers);
        }
        return port();
    }

    private void bindDomainSocket(Path path, EnumMap<Opcode, OpHandler> handlers) throws InterruptedException {
        if (UnixSocketFile.prepare(path, "dataSocket") == UnixSocketFile.State.STALE) {
            LOG.info("dataSocket: replaced the stale socket file {} (no daemon answered on it)", path);
        }
        ChannelFuture bound = transport.domainServerBootstrap(boss, workers, config.writeBufferLowBytes(),
                config.writeBufferHighBytes(), ch -> initChild(ch, handlers, true))
                .bind(transport.domainAddress(path)).await();
        if (!bound.isSuccess()) { // e.g. another daemon bound it since the check
            Throwable e = bound.cause();
            throw new ConfigException("dataSocket: cannot listen on " + path + " (" + e.getMessage()
                    + "); stop the program that uses it or choose another dataSocket");
        }
        domainChannel = bound.channel();
        channels.add(domainChannel);
        try {
            UnixSocketFile.restrict(path);
        } catch (java.io.IOException e) {
            throw new ConfigException("dataSocket: cannot make " + path + " private to this user (" + e.getMessage()
                    + "); choose a path on a file system with Unix permissions");
        }
        LOG.info("protocol server on unix:{} ({} transport, mode 0600)", path, transport.name());
    }

    /** One accepted connection's pipeline, the same for TCP and the Unix domain socket. */
    private void initChild(Channel ch, EnumMap<Opcode, OpHandler> handlers, boolean unixPeer) {
        channels.add(ch);
        Connection connection = new Connection(sc, handlers);
        connection.session.unixPeer = unixPeer;
        FrameDecoder decoder = new FrameDecoder(sc.limits(), new PutPayloads(sc, connection.session));
        ch.config().setRecvByteBufAllocator(
                new PayloadReadAllocator(ch.config().getRecvByteBufAllocator(), decoder::readTarget));
        ch.pipeline().addLast("decoder", decoder)
                .addLast("encoder", FrameEncoder.INSTANCE)
                .addLast("connection", connection);
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

    /** The path of the data socket, or null when there is none. */
    public Path dataSocket() {
        return domainChannel == null ? null : config.dataSocket();
    }

    /** Open client connections, over TCP and the data socket. */
    public int connections() {
        return Math.max(0, channels.size() - (domainChannel == null ? 1 : 2));
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

    /**
     * The shared-memory leases when the DRAM arena lives in files and is offered ({@code sharedMemory}, on by
     * default, or {@code dramSharedMemoryDir}), else null.
     */
    private static ShmLeases sharedMemory(ServerConfig config, TieredStore store, List<TierFactory.Level> levels) {
        if (config.dramSharedMemoryDir() == null && !config.sharedMemory()) {
            return null;
        }
        for (TierFactory.Level l : levels) {
            Optional<SharedMemoryExport> export = l.spec().tier().sharedMemory();
            if (export.isPresent()) {
                LOG.info("shared-memory reads and writes offered to same-host clients from {}",
                        export.get().directory());
                return new ShmLeases(l.spec().tier(), store.clock(), 200);
            }
        }
        if (config.dramSharedMemoryDir() != null) {
            throw new IllegalArgumentException("dramSharedMemoryDir is set but there is no file-backed DRAM tier");
        }
        return null; // the arena is in private memory: nothing to share
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
        if (domainChannel != null) {
            domainChannel.close().syncUninterruptibly();
            UnixSocketFile.delete(config.dataSocket());
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
