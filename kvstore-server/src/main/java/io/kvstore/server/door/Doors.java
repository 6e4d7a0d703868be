package io.kvstore.server.door;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.store.TieredStore;
import io.kvstore.server.admin.ServerMetrics;
import io.kvstore.server.auth.Authenticator;
import io.kvstore.server.auth.TenantQuotas;
import io.kvstore.server.config.ConfigException;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.lmcache.LmDoor;
import io.kvstore.server.net.BlockingPool;
import io.kvstore.server.net.Transport;
import io.kvstore.server.tier.TierFactory;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.kvstore.server.resp.RespDoor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The foreign doors of the daemon: the Redis protocol on {@code respPort} and LMCache's {@code lm://} on
 * {@code lmPort}, each off (-1) by default. They share one event-loop group ({@code ioThreads}), one bounded
 * blocking pool ({@code blockingThreads} threads, {@code blockingQueueDepth} queued batches) and the reaper of
 * expired Redis values (every 100 ms). {@link #close()} stops accepting, closes the connections, then the pools;
 * idempotent. The store is not owned.
 */
public final class Doors implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Doors.class);

    private final ServerConfig config;
    private final DoorContext dc;
    private final List<Door> doors = new ArrayList<>();
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final List<Channel> listeners = new ArrayList<>();
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private BlockingPool blocking;
    private ScheduledExecutorService reaper;
    private boolean closed;

    public Doors(ServerConfig config, TieredStore store, List<TierFactory.Level> levels, ServerMetrics metrics,
                 TenantQuotas quotas) {
        this.config = config;
        this.dc = new DoorContext(new NamedValues(store, quotas, metrics),
                levels.stream().collect(Collectors.toMap(TierFactory.Level::name, l -> l)),
                new Authenticator(config.authTokens()), metrics, this::runBlocking, config,
                new Expiries(System::currentTimeMillis));
        if (config.respPort() >= 0) {
            doors.add(new RespDoor(dc));
        }
        if (config.lmPort() >= 0) {
            doors.add(new LmDoor(dc));
        }
    }

    /** Binds every configured door; nothing if none is. */
    public void start() throws InterruptedException {
        if (doors.isEmpty()) {
            return;
        }
        Transport transport = Transport.select(config.transport());
        boss = transport.group(1);
        workers = transport.group(config.eventLoopThreads());
        blocking = new BlockingPool("kvstore-door-blocking", config.blockingThreads(), config.blockingQueueDepth());
        reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kvstore-door-expiry");
            t.setDaemon(true);
            return t;
        });
        reaper.scheduleWithFixedDelay(this::reap, 100, 100, TimeUnit.MILLISECONDS);
        for (Door door : doors) {
            int wanted = door.name().equals("redis") ? config.respPort() : config.lmPort();
            Channel ch;
            try {
                ch = bind(transport, door, wanted);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) { // Netty rethrows the socket's BindException without declaring it
                String setting = door.name().equals("redis") ? "respPort" : "lmPort";
                throw new ConfigException(setting + ": cannot listen on " + config.bindAddress() + ":" + wanted + " ("
                        + e.getMessage() + "); choose a free port, or 0 for any");
            }
            listeners.add(ch);
            int port = ((InetSocketAddress) ch.localAddress()).getPort();
            ports.put(door.name(), port);
            door.bound(port);
            LOG.info("{} door on {}:{} ({} transport)", door.name(), config.bindAddress(), port, transport.name());
        }
    }

    private Channel bind(Transport transport, Door door, int port) throws InterruptedException {
        return transport.serverBootstrap(boss, workers, config.writeBufferLowBytes(), config.writeBufferHighBytes(),
                        c -> {
                            channels.add(c);
                            door.initChannel(c);
                        })
                .bind(config.bindAddress(), port).sync().channel();
    }

    /** The bound port of door {@code name} ({@code redis}, {@code lm}), or -1 if it is off. */
    public int port(String name) {
        return ports.getOrDefault(name, -1);
    }

    /** The doors' shared state (for tests). */
    public DoorContext context() {
        return dc;
    }

    private void runBlocking(Runnable task) {
        blocking.execute(task);
    }

    private void reap() {
        try {
            TieredStore store = dc.values().store();
            for (BlockKey k : dc.expiries().expired()) {
                BlockInfo info = store.info(k);
                if (info != null) {
                    store.delete(info.meta().namespaceId(), k);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("expiring Redis values: {}", e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.forEach(l -> l.close().syncUninterruptibly());
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            reaper.shutdownNow();
            blocking.shutdownAndWait();
        }
    }
}
