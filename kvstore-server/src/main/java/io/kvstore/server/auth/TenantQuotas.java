package io.kvstore.server.auth;

import io.kvstore.core.namespace.Namespace;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.store.StoreEvent;
import io.kvstore.core.store.StoreEventListener;
import io.kvstore.core.store.TieredStore;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-tenant byte quotas: the payload bytes of all blocks a tenant's namespaces hold in the store (in any tier)
 * may not exceed its quota. A PUT first {@link #reserve reserves} its payload bytes; the reservation becomes usage
 * when the block is stored and is {@link #release released} otherwise; the store's EVICTED and DELETED events
 * (this is a {@link StoreEventListener}) give the bytes back. A block dropped because it failed its checksum on a
 * read (a CORRUPT event not followed by EVICTED) keeps counting until the next restart: the store's CORRUPT event
 * does not say whether the block left the store, and an over-count errs on the safe side. A namespace's blocks that are already in the
 * store when its first session opens (rebuilt from a durable tier after a restart) are counted then
 * ({@link #register}). Tenants without a quota (and no {@code *} default) are not limited and not tracked.
 *
 * <p>Thread-safe: counters are atomics; {@link #onEvent} never blocks (it runs under the store's lock).
 */
public final class TenantQuotas implements StoreEventListener {

    /** Quota key that applies to every tenant without its own entry. */
    public static final String ANY_TENANT = "*";

    private final Map<String, Long> quotas;
    private final Map<String, AtomicLong> used = new ConcurrentHashMap<>();
    private final Map<Long, String> tenantOfNamespace = new ConcurrentHashMap<>();

    public TenantQuotas(Map<String, Long> quotas) {
        this.quotas = Map.copyOf(quotas);
    }

    /** True if no tenant has a quota. */
    public boolean disabled() {
        return quotas.isEmpty();
    }

    /** The quota of {@code tenant}, or -1 if it is unlimited. */
    public long quotaOf(String tenant) {
        Long q = quotas.getOrDefault(tenant, quotas.get(ANY_TENANT));
        return q == null ? -1 : q;
    }

    /** The quotas as configured: tenant ({@code *} = every other) to bytes. */
    public Map<String, Long> quotas() {
        return quotas;
    }

    /** Bytes each tracked tenant (one with a quota that has opened a session) holds now. */
    public Map<String, Long> usage() {
        Map<String, Long> out = new java.util.TreeMap<>();
        used.forEach((t, u) -> out.put(t, u.get()));
        return out;
    }

    /** Bytes the tenant's blocks (and reservations) hold now. */
    public long usedBy(String tenant) {
        AtomicLong u = used.get(tenant);
        return u == null ? 0 : u.get();
    }

    /**
     * Called when a session opens on {@code ns}: from then on its blocks count against its tenant. The first time
     * a namespace is seen, the bytes of its blocks already in the store are counted.
     */
    public void register(Namespace ns, TieredStore store) {
        if (quotaOf(ns.tenant()) < 0) {
            return;
        }
        long id = ns.id();
        synchronized (this) {
            if (tenantOfNamespace.containsKey(id)) {
                return;
            }
            long bytes = 0;
            for (BlockInfo b : store.blocks(b -> b.meta().namespaceId() == id, Integer.MAX_VALUE)) {
                bytes += b.meta().length();
            }
            counter(ns.tenant()).addAndGet(bytes);
            tenantOfNamespace.put(id, ns.tenant());
        }
    }

    /**
     * Reserves {@code bytes} for a PUT of {@code tenant}: false (nothing reserved) if that would exceed its quota.
     * Unlimited tenants always get true.
     */
    public boolean reserve(String tenant, long bytes) {
        long quota = quotaOf(tenant);
        if (quota < 0) {
            return true;
        }
        AtomicLong u = counter(tenant);
        while (true) {
            long cur = u.get();
            if (cur + bytes > quota) {
                return false;
            }
            if (u.compareAndSet(cur, cur + bytes)) {
                return true;
            }
        }
    }

    /** Gives back a reservation whose block was not stored. */
    public void release(String tenant, long bytes) {
        if (quotaOf(tenant) >= 0) {
            counter(tenant).addAndGet(-bytes);
        }
    }

    @Override
    public void onEvent(StoreEvent e) {
        if (e.type() != StoreEvent.Type.EVICTED && e.type() != StoreEvent.Type.DELETED) {
            return;
        }
        String tenant = tenantOfNamespace.get(e.meta().namespaceId());
        if (tenant != null) {
            counter(tenant).addAndGet(-e.meta().length());
        }
    }

    private AtomicLong counter(String tenant) {
        return used.computeIfAbsent(tenant, t -> new AtomicLong());
    }
}
