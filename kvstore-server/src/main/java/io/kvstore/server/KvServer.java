package io.kvstore.server;

import io.kvstore.core.store.EventHistory;
import io.kvstore.core.store.StoreEventListener;
import io.kvstore.core.store.StoreEventListeners;
import io.kvstore.core.store.TieredStore;
import io.kvstore.server.admin.AdminServer;
import io.kvstore.server.admin.ServerMetrics;
import io.kvstore.server.auth.TenantQuotas;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.door.Doors;
import io.kvstore.server.events.KvEventPublisher;
import io.kvstore.server.net.BlockingPool;
import io.kvstore.server.net.NetServer;
import io.kvstore.server.tier.TierFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon assembled from a {@link ServerConfig}: tiers ({@link TierFactory}) → {@link TieredStore} (with
 * the metrics and a bounded {@link EventHistory} for {@code /v1/explain} as its event listeners) → protocol
 * server ({@link NetServer}) → HTTP admin ({@link AdminServer}).
 * {@link #start()} binds the ports (and the data socket, if set); {@link #close()} shuts down in reverse order (admin, drain the protocol
 * server, close the store) and is idempotent. Used by {@code kvstore serve}, the tests and the bench.
 */
public final class KvServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KvServer.class);
    /** Blocks whose recent events {@code /v1/explain} remembers, and events kept per block. */
    private static final int HISTORY_BLOCKS = 32_768;
    private static final int HISTORY_EVENTS_PER_BLOCK = 8;

    private final ServerConfig config;
    /** Promotions waiting for the promotion thread; more are skipped. */
    private static final int PROMOTION_QUEUE = 256;

    private final ServerMetrics metrics = new ServerMetrics();
    private final EventHistory history = new EventHistory(HISTORY_BLOCKS, HISTORY_EVENTS_PER_BLOCK);
    private final List<TierFactory.Level> levels;
    private final TenantQuotas quotas;
    private final ThreadPoolExecutor promotions;
    private final ThreadPoolExecutor demotions;
    private final TieredStore store;
    private final KvEventPublisher events;
    private final NetServer net;
    private final Doors doors;
    private AdminServer admin;
    private boolean closed;

    public KvServer(ServerConfig config) throws IOException {
        this.config = config;
        Files.createDirectories(config.dataDir());
        this.levels = TierFactory.build(config);
        this.quotas = new TenantQuotas(config.tenantQuotaBytes());
        this.promotions = promotionPool();
        this.demotions = config.demotionThreads() > 0 ? demotionPool(config.demotionThreads()) : null; // 0: writers move
        this.events = config.kvEvents().enabled() ? new KvEventPublisher(config.kvEvents()) : null;
        List<StoreEventListener> listeners = new ArrayList<>(List.of(metrics.storeListener(), history, quotas::onEvent));
        if (events != null) {
            listeners.add(events.listener());
        }
        try {
            boolean demote = demotions != null;
            this.store = TieredStore.builder()
                    .promotions(promotions)
                    .forgetColdBlocks(config.nvmeIndexOnly())
                    .listener(StoreEventListeners.all(listeners))
                    .with(b -> {
                        if (demote) {
                            b.demoter(demotions, config.demotionThreads());
                        }
                    })
                    .with(b -> TierFactory.specs(levels, demote ? config.demotionHeadroomPercent() : 0)
                            .forEach(b::tier)).build();
        } catch (RuntimeException e) {
            if (events != null) {
                events.close();
            }
            throw e;
        }
        metrics.bind(store);
        metrics.bindEventHistory(history);
        metrics.bind(quotas);
        metrics.dataDir(config.dataDir());
        if (events != null) {
            metrics.bindKvEvents(events);
        }
        this.net = new NetServer(config, store, levels, metrics, quotas, events);
        this.doors = new Doors(config, store, levels, metrics, quotas);
    }

    /**
     * The pool that runs promotions of hits (copies up, and the demotions they cause), off the event loops and off
     * the readers: one thread, a bounded queue; when it is full a promotion is skipped (the block stays where it
     * is and is promoted on a later hit). A GET on an event loop submits to it, so it takes tasks without a lock
     * ({@link BlockingPool}).
     */
    private static BlockingPool promotionPool() {
        return new BlockingPool("kvstore-promote", 1, PROMOTION_QUEUE);
    }

    /**
     * The threads that move the victims of writes down a level ({@code demotionThreads}; the store runs at most
     * that many demoter tasks, each draining its level's queue, so the queue here stays short). Unbounded queue:
     * a task is submitted only when fewer than {@code demotionThreads} run.
     */
    private static ThreadPoolExecutor demotionPool(int threads) {
        AtomicInteger n = new AtomicInteger();
        // a lock-free queue: writers hand victims over from event loops, where LinkedBlockingQueue's put and take
        // locks made one park 0.9 ms behind a preempted demoter (JFR)
        return new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new java.util.concurrent.LinkedTransferQueue<>(), r -> {
                    Thread t = new Thread(r, "kvstore-demote-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Binds the data port and, unless {@code adminPort} is -1, the admin port. */
    public KvServer start() throws IOException, InterruptedException {
        if (events != null) {
            events.start(store);
        }
        net.start();
        try {
            doors.start();
        } catch (RuntimeException | InterruptedException e) {
            close(); // a door could not bind: stop what started, keep what is stored
            throw e;
        }
        if (config.adminPort() >= 0) {
            admin = new AdminServer(config.adminBindAddress(), config.adminPort(), store, levels, metrics,
                    this::info, history, config.authTokens());
            net.advertiseAdminPort(admin.port());
        }
        LOG.info("kvstore ready: data {}:{} ({}), socket {}, admin {}, redis {}, lm {}, tiers {}, data dir {}",
                config.bindAddress(), port(), net.transportName(),
                dataSocket() == null ? "off" : "unix:" + dataSocket(),
                admin == null ? "off" : "http://" + config.adminBindAddress() + ":" + adminPort(),
                respPort() < 0 ? "off" : "redis://" + config.bindAddress() + ":" + respPort(),
                lmPort() < 0 ? "off" : "lm://" + config.bindAddress() + ":" + lmPort(),
                store.tierNames(), config.dataDir().toAbsolutePath());
        return this;
    }

    private Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("port", port());
        m.put("transport", net.transportName());
        m.put("dataSocket", dataSocket() == null ? "" : dataSocket().toString());
        m.put("connections", net.connections());
        List<Map<String, Object>> tenants = new java.util.ArrayList<>();
        quotas.usage().forEach((t, used) -> tenants.add(Map.of("tenant", t, "usedBytes", used,
                "quotaBytes", quotas.quotaOf(t))));
        m.put("tenants", tenants);
        return m;
    }

    public int port() {
        return net.port();
    }

    /** Open client connections of the protocol, over TCP and the data socket. */
    public int connections() {
        return net.connections();
    }

    /** The Unix domain socket that serves the protocol too, or null when {@code dataSocket} is not set. */
    public java.nio.file.Path dataSocket() {
        return net.dataSocket();
    }

    /** The Redis-protocol port, or -1 if that door is off. */
    public int respPort() {
        return doors.port("redis");
    }

    /** The LMCache {@code lm://} port, or -1 if that door is off. */
    public int lmPort() {
        return doors.port("lm");
    }

    /** The admin port, or -1 if there is none. */
    public int adminPort() {
        return admin == null ? -1 : admin.port();
    }

    /** The KV-event publisher, or null when {@code kvEventsEndpoint} is not set. */
    public KvEventPublisher events() {
        return events;
    }

    public TieredStore store() {
        return store;
    }

    /** The shared-memory leases, or null when shared memory is off. */
    public io.kvstore.server.net.ShmLeases shmLeases() {
        return net.shmLeases();
    }

    /** The per-tenant byte quotas and their use. */
    public TenantQuotas quotas() {
        return quotas;
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    public ServerConfig config() {
        return config;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (admin != null) {
            admin.close();
        }
        doors.close();
        net.close();
        promotions.shutdownNow();
        if (demotions != null) {
            demotions.shutdown(); // the store's close stops its demoters; moves under way finish
        }
        if (events != null) {
            events.close();
        }
        try {
            promotions.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i + 1 < levels.size(); i++) { // a restart finds what was in memory that ends with us
            TierFactory.Level l = levels.get(i);
            if (l.lostAtExit()) {
                try {
                    long moved = store.drain(l.name());
                    LOG.info("{} tier: {} blocks moved down before stopping", l.name(), moved);
                } catch (RuntimeException e) {
                    LOG.warn("{} tier: could not move its blocks down before stopping ({})", l.name(), e.toString());
                }
            }
        }
        store.close();
    }
}
