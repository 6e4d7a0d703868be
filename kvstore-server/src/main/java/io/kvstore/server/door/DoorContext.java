package io.kvstore.server.door;

import io.kvstore.server.admin.ServerMetrics;
import io.kvstore.server.auth.Authenticator;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.tier.TierFactory;

import java.util.Map;
import java.util.concurrent.Executor;

/**
 * What the connections of every door share: the named values over the store, the tier facts, auth, metrics, the
 * bounded pool for work that must leave the event loop, and the config (limits). Immutable references to
 * thread-safe objects.
 *
 * @param values   the store, seen as values under names
 * @param levels   tier name to its facts (whether reads are in memory)
 * @param auth     the daemon's tokens
 * @param metrics  the daemon's metrics
 * @param blocking the doors' blocking pool
 * @param config   the daemon's config
 * @param expiries deadlines of names set with a time to live
 */
public record DoorContext(NamedValues values, Map<String, TierFactory.Level> levels, Authenticator auth,
                          ServerMetrics metrics, Executor blocking, ServerConfig config, Expiries expiries) {

    /** True if a read from {@code tier} may run on an event loop (an in-memory tier, no shared tier behind it). */
    public boolean inMemory(String tier) {
        TierFactory.Level l = tier == null ? null : levels.get(tier);
        return l != null && l.inMemory() && !values.store().hasSharedTier();
    }
}
