package io.kvstore.server.net;

import io.kvstore.core.store.TieredStore;
import io.kvstore.protocol.ProtocolLimits;
import io.kvstore.server.admin.ServerMetrics;
import io.kvstore.server.auth.Authenticator;
import io.kvstore.server.auth.TenantQuotas;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.events.KvEventPublisher;
import io.kvstore.server.tier.TierFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * What every connection and handler shares: the store, the tier facts, limits, auth, metrics and the bounded
 * pool for work that must not run on an event loop, the shared-memory leases ({@code shm}, null when
 * shared memory is off), the KV-event publisher ({@code events}, null when events are off), and the admin port
 * HELLO names once it is bound (0 until then, or none). Immutable references; the objects are thread-safe.
 */
record ServerContext(ServerConfig config, TieredStore store, Map<String, TierFactory.Level> levels,
                     List<String> tierNames, ProtocolLimits limits, Authenticator auth, TenantQuotas quotas,
                     ServerMetrics metrics, ExecutorService blocking, Lifecycle lifecycle, ShmLeases shm,
                     KvEventPublisher events, AtomicInteger adminPort) {

    /** A context without shared memory. */
    static ServerContext of(ServerConfig config, TieredStore store, List<TierFactory.Level> levels,
                            ServerMetrics metrics, ExecutorService blocking, Lifecycle lifecycle) {
        return of(config, store, levels, metrics, blocking, lifecycle, new TenantQuotas(config.tenantQuotaBytes()),
                null, null);
    }

    static ServerContext of(ServerConfig config, TieredStore store, List<TierFactory.Level> levels,
                            ServerMetrics metrics, ExecutorService blocking, Lifecycle lifecycle,
                            TenantQuotas quotas, ShmLeases shm, KvEventPublisher events) {
        return new ServerContext(config, store,
                levels.stream().collect(Collectors.toMap(TierFactory.Level::name, l -> l)),
                store.tierNames(),
                new ProtocolLimits(config.maxFrameBytes(), config.maxKeysPerRequest(), 4096),
                new Authenticator(config.authTokens()), quotas, metrics, blocking, lifecycle, shm, events,
                new AtomicInteger());
    }

    /** True if reads from {@code tier} may run on the event loop. */
    boolean inMemory(String tier) {
        TierFactory.Level l = levels.get(tier);
        // with a shared tier a get that misses the directory asks it over the network: never on the event loop
        return l != null && l.inMemory() && !store.hasSharedTier();
    }

    /** Tasks waiting for a thread of the blocking pool (for diagnostics), or -1 if it is not a pool. */
    int blockingQueueSize() {
        return blocking instanceof BlockingPool p ? p.waiting() : -1;
    }

    /** True if {@code tier} keeps blocks across restarts. */
    boolean durable(String tier) {
        TierFactory.Level l = levels.get(tier);
        return l != null && l.durable();
    }
}
