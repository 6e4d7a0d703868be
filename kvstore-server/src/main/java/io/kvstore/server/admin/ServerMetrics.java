package io.kvstore.server.admin;

import io.kvstore.core.store.LevelStats;
import io.kvstore.core.store.StoreEvent;
import io.kvstore.core.store.StoreEventListener;
import io.kvstore.core.store.TieredStore;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * The daemon's Prometheus metrics, in a registry of its own (not the global default, so that several servers in
 * one JVM, as in tests, do not collide). Store events arrive through {@link #storeListener()}; the network layer
 * counts requests, bytes and errors; gauges read tier and queue state when scraped. Thread-safe.
 *
 * <p>Names follow Prometheus conventions: counters end in {@code _total}, sizes in {@code _bytes}, durations
 * in {@code _seconds}; the full list is in docs/server.md. Counters whose labels are known at start (tiers, tier
 * pairs, error codes, removal reasons) are exported at 0 from the start, so that {@code rate()} and alerts see
 * them before their first event. The registry also holds the JVM and process metrics ({@code jvm_*},
 * {@code process_*}) and {@code kvstore_build_info}.
 */
public final class ServerMetrics {

    private static final HexFormat HEX = HexFormat.of();

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final AtomicReference<TieredStore> store = new AtomicReference<>();
    // data points resolved once: a label lookup per request cost more than the request's own work on the doors
    private final Map<String, Map<String, CounterDataPoint>> requestCounters = new ConcurrentHashMap<>();
    private final Map<String, DistributionDataPoint> latencies = new ConcurrentHashMap<>();
    private final Map<Long, Map<String, CounterDataPoint[]>> servedCounters = new ConcurrentHashMap<>();

    private final Counter requests = Counter.builder().name("kvstore_requests_total")
            .help("Requests answered, by opcode and status").labelNames("opcode", "status")
            .withoutExemplars().register(registry);
    private final Histogram latency = Histogram.builder().name("kvstore_request_duration_seconds")
            .help("Time from a request's turn to its last response frame handed to the connection, by opcode")
            .labelNames("opcode")
            .classicOnly().classicExponentialUpperBounds(5e-6, 2, 22).withoutExemplars().register(registry);
    private final Map<String, DistributionDataPoint> replyWrites = new ConcurrentHashMap<>();
    private final Histogram replyWrite = Histogram.builder().name("kvstore_reply_write_duration_seconds")
            .help("Time the event loop spent writing a request's last response frame to the socket (the flush"
                    + " after kvstore_request_duration_seconds ends; over loopback it includes the kernel's delivery"
                    + " to the peer), by opcode")
            .labelNames("opcode")
            .classicOnly().classicExponentialUpperBounds(5e-6, 2, 22).withoutExemplars().register(registry);
    private final Counter hits = Counter.builder().name("kvstore_hits_total")
            .help("Blocks served, by tier and namespace").labelNames("tier", "namespace")
            .withoutExemplars().register(registry);
    private final Counter misses = Counter.builder().name("kvstore_misses_total")
            .help("GET keys that were not cached, by namespace").labelNames("namespace")
            .withoutExemplars().register(registry);
    private final Counter readBytes = Counter.builder().name("kvstore_read_bytes_total")
            .help("Payload bytes served by GET, by tier and namespace").labelNames("tier", "namespace")
            .withoutExemplars().register(registry);
    private final Counter writtenBytes = Counter.builder().name("kvstore_written_bytes_total")
            .help("Payload bytes stored by PUT, by tier and namespace").labelNames("tier", "namespace")
            .withoutExemplars().register(registry);
    private final Counter admissions = Counter.builder().name("kvstore_admissions_total")
            .help("Blocks admitted into a tier on PUT").labelNames("tier").withoutExemplars().register(registry);
    private final Counter rejections = Counter.builder().name("kvstore_rejections_total")
            .help("Blocks a tier's policy refused").labelNames("tier").withoutExemplars().register(registry);
    private final Counter evictions = Counter.builder().name("kvstore_evictions_total")
            .help("Blocks dropped from the store by a tier's policy").labelNames("tier")
            .withoutExemplars().register(registry);
    private final Counter demotions = Counter.builder().name("kvstore_demotions_total")
            .help("Blocks moved one tier down").labelNames("from", "to").withoutExemplars().register(registry);
    private final Counter promotions = Counter.builder().name("kvstore_promotions_total")
            .help("Blocks moved up on a hit").labelNames("from", "to").withoutExemplars().register(registry);
    private final Counter corrupt = Counter.builder().name("kvstore_corrupt_blocks_total")
            .help("Blocks that failed their checksum and were dropped").labelNames("tier")
            .withoutExemplars().register(registry);
    private final Counter protocolErrors = Counter.builder().name("kvstore_protocol_errors_total")
            .help("Error responses and broken connections, by error code").labelNames("code")
            .withoutExemplars().register(registry);
    private final Counter connections = Counter.builder().name("kvstore_connections_total")
            .help("Connections accepted").withoutExemplars().register(registry);
    private final Counter removed = Counter.builder().name("kvstore_blocks_removed_total")
            .help("Blocks removed from a tier and from the store, by reason: eviction (the policy's victim in the "
                    + "last tier that would take it), corrupt (failed its checksum), delete (on request)")
            .labelNames("tier", "reason").withoutExemplars().register(registry);

    /** Reasons of {@code kvstore_blocks_removed_total}. */
    static final List<String> REMOVAL_REASONS = List.of("eviction", "corrupt", "delete");

    public ServerMetrics() {
        JvmMetrics.builder().register(registry);
        Info.builder().name("kvstore_build_info").help("The daemon's build: version and Java runtime")
                .labelNames("version", "java_version").register(registry)
                .setLabelValues(AdminServer.VERSION, System.getProperty("java.version"));
        for (io.kvstore.protocol.ErrorCode c : io.kvstore.protocol.ErrorCode.values()) {
            protocolErrors.labelValues(c.name());
        }
        TierDetailMetrics.register(registry, this::eachTier);
        GaugeWithCallback.builder().name("kvstore_tier_capacity_bytes").help("Tier capacity").labelNames("tier")
                .callback(cb -> eachTier(s -> cb.call(s.tier().capacityBytes(), s.tier().name()))).register(registry);
        GaugeWithCallback.builder().name("kvstore_tier_used_bytes").help("Bytes in use per tier").labelNames("tier")
                .callback(cb -> eachTier(s -> cb.call(s.tier().usedBytes(), s.tier().name()))).register(registry);
        GaugeWithCallback.builder().name("kvstore_tier_blocks").help("Blocks per tier").labelNames("tier")
                .callback(cb -> eachTier(s -> cb.call(s.tier().blocks(), s.tier().name()))).register(registry);
        GaugeWithCallback.builder().name("kvstore_tier_detail")
                .help("Tier-specific figures (TierStats details, e.g. the remote tier's breaker_open, "
                        + "timeouts_total, errors_total), by tier and name").labelNames("tier", "name")
                .callback(cb -> eachTier(s -> s.tier().details().forEach((k, v) -> cb.call(v, s.tier().name(), k))))
                .register(registry);
        GaugeWithCallback.builder().name("kvstore_policy_detail")
                .help("The eviction policy's own state by tier and name (the default policy: filtering = 1 while "
                        + "its admission filter is on, filter_switches, sized_blocks, resizes)")
                .labelNames("tier", "name")
                .callback(cb -> eachTier(s -> s.policyDetails().forEach((k, v) -> cb.call(v, s.tier().name(), k))))
                .register(registry);
        CounterWithCallback.builder().name("kvstore_tier_store_written_bytes")
                .help("Payload bytes the store wrote into a tier, by cause (admission = PUT, demotion, promotion); "
                        + "a demotion onto a clean copy writes nothing").labelNames("tier", "cause")
                .callback(cb -> eachTier(s -> {
                    cb.call(s.admittedBytes(), s.tier().name(), "admission");
                    cb.call(s.demotedInBytes(), s.tier().name(), "demotion");
                    cb.call(s.promotedInBytes(), s.tier().name(), "promotion");
                })).register(registry);
        CounterWithCallback.builder().name("kvstore_clean_demotions")
                .help("Victims demoted onto a copy the tier below already held (kept by a promotion): no write")
                .labelNames("tier").callback(cb -> eachTier(s -> cb.call(s.cleanDemotions(), s.tier().name())))
                .register(registry);
        CounterWithCallback.builder().name("kvstore_promoted_copy_hits")
                .help("Hits in the tiers above on blocks promoted out of a tier that kept its copy: what its "
                        + "promotions earned").labelNames("tier")
                .callback(cb -> eachTier(s -> cb.call(s.promotedCopyHits(), s.tier().name()))).register(registry);
        CounterWithCallback.builder().name("kvstore_promotions_skipped")
                .help("Hits in a tier whose promotion was skipped because its promotions were earning fewer hits "
                        + "above than they cost").labelNames("tier")
                .callback(cb -> eachTier(s -> cb.call(s.promotionsSkipped(), s.tier().name()))).register(registry);
        GaugeWithCallback.builder().name("kvstore_tier_eviction_age_seconds")
                .help("How long a tier's recent victims had sat unread when they were chosen (smoothed); absent "
                        + "until the tier's first victim").labelNames("tier")
                .callback(cb -> eachTier(s -> {
                    if (s.evictionAgeNanos() != Long.MAX_VALUE) {
                        cb.call(s.evictionAgeNanos() / 1e9, s.tier().name());
                    }
                })).register(registry);
        CounterWithCallback.builder().name("kvstore_tier_dropped_blocks")
                .help("Blocks a tier dropped on its own (flash segment reclaim) instead of rewriting them")
                .labelNames("tier").callback(cb -> eachTier(s -> cb.call(s.tierDropped(), s.tier().name())))
                .register(registry);
        GaugeWithCallback.builder().name("kvstore_direct_memory_used_bytes")
                .help("Direct (off-heap) memory in use, by JVM buffer pool").labelNames("pool")
                .callback(cb -> {
                    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                        cb.call(b.getMemoryUsed(), b.getName());
                    }
                    long netty = io.netty.util.internal.PlatformDependent.usedDirectMemory();
                    if (netty >= 0) { // Netty's own buffers (not in the JVM's pools when it frees them itself)
                        cb.call(netty, "netty");
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("kvstore_direct_memory_max_bytes")
                .help("The JVM's direct-memory limit (-XX:MaxDirectMemorySize); pools direct and netty count against "
                        + "it").callback(cb -> cb.call(io.kvstore.server.startup.DirectMemory.limitBytes()))
                .register(registry);
    }

    /** Registers a gauge read at scrape time (queue depths and limits of the network layer). */
    public void gauge(String name, String help, IntSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsInt()))
                .register(registry);
    }

    /** Registers a counter read at scrape time (work done by the network layer's pools, event streams). */
    public void counter(String name, String help, java.util.function.LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong()))
                .register(registry);
    }

    /** The counter of the per-block event history behind {@code kvctl explain}. */
    public void bindEventHistory(io.kvstore.core.store.EventHistory h) {
        counter("kvstore_explain_history_dropped_events",
                "Store events the kvctl-explain history dropped because its unfiled queue was full", h::dropped);
    }

    /** Counters and gauges of the KV-event stream (docs/events.md). */
    public void bindKvEvents(io.kvstore.server.events.KvEventPublisher p) {
        counter("kvstore_kv_events_batches", "KV-event batches published", p::batches);
        counter("kvstore_kv_events_published", "KV events published", p::events);
        counter("kvstore_kv_events_dropped",
                "Store events dropped because the event queue was full (subscribers see a sequence gap)", p::dropped);
        counter("kvstore_kv_events_replays", "Replay requests answered", p::replays);
        gauge("kvstore_kv_events_queue_depth", "Store events waiting for the KV-event publisher", p::queued);
        gauge("kvstore_kv_events_queue_limit", "Capacity of the KV-event queue", p::queueCapacity);
    }

    /** The store whose tiers the gauges report. */
    public void bind(TieredStore s) {
        store.set(s);
        List<String> tiers = s.tierNames();
        for (int i = 0; i < tiers.size(); i++) { // so that every tier's series exists (at 0) before its first event
            String t = tiers.get(i);
            admissions.labelValues(t);
            rejections.labelValues(t);
            evictions.labelValues(t);
            corrupt.labelValues(t);
            REMOVAL_REASONS.forEach(r -> removed.labelValues(t, r));
            if (i + 1 < tiers.size()) {
                demotions.labelValues(t, tiers.get(i + 1));
            }
            for (int j = i + 1; j < tiers.size(); j++) {
                promotions.labelValues(tiers.get(j), t);
            }
        }
        gauge("kvstore_blocks", "Blocks cached in all tiers, a block with copies in two counted once", s::size);
        gauge("kvstore_directory_entries", "Blocks the engine keeps an entry for: all but those only the NVMe tier's "
                + "index records (nvmeIndexOnly)", s::entries);
    }

    /** Exports the free and total bytes of the file system that holds {@code dataDir}. */
    public void dataDir(java.nio.file.Path dataDir) {
        fileStoreGauge("kvstore_data_dir_free_bytes", "Bytes free for the daemon on the data dir's file system",
                dataDir, java.nio.file.FileStore::getUsableSpace);
        fileStoreGauge("kvstore_data_dir_size_bytes", "Size of the data dir's file system", dataDir,
                java.nio.file.FileStore::getTotalSpace);
    }

    private interface FileStoreFigure {
        long of(java.nio.file.FileStore s) throws IOException;
    }

    private void fileStoreGauge(String name, String help, java.nio.file.Path dir, FileStoreFigure figure) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> {
            try {
                cb.call(figure.of(java.nio.file.Files.getFileStore(dir)));
            } catch (IOException e) {
                // the data dir is gone: no sample
            }
        }).register(registry);
    }

    /** Exports each tenant's bytes against its quota ({@code kvstore_tenant_*_bytes}), for tenants with a quota. */
    public void bind(io.kvstore.server.auth.TenantQuotas quotas) {
        GaugeWithCallback.builder().name("kvstore_tenant_used_bytes")
                .help("Payload bytes a tenant's blocks hold (tenants with a quota)").labelNames("tenant")
                .callback(cb -> quotas.usage().forEach((t, u) -> cb.call(u, t))).register(registry);
        GaugeWithCallback.builder().name("kvstore_tenant_quota_bytes")
                .help("A tenant's quota (tenantQuotaBytes; tenant * = every tenant without its own)")
                .labelNames("tenant").callback(cb -> quotas.quotas().forEach((t, q) -> cb.call(q, t)))
                .register(registry);
    }

    /** The listener to give the store's builder. */
    public StoreEventListener storeListener() {
        return this::onEvent;
    }

    private void onEvent(StoreEvent e) {
        switch (e.type()) {
            case ADMITTED -> {
                admissions.labelValues(e.tier()).inc();
                writtenBytes.labelValues(e.tier(), ns(e.meta().namespaceId())).inc(e.meta().length());
            }
            case REJECTED -> rejections.labelValues(e.tier()).inc();
            case EVICTED -> {
                evictions.labelValues(e.tier()).inc();
                removed.labelValues(e.tier(), "eviction").inc();
            }
            case DEMOTED -> demotions.labelValues(e.tier(), e.toTier()).inc();
            case PROMOTED -> promotions.labelValues(e.tier(), e.toTier()).inc();
            case CORRUPT -> {
                corrupt.labelValues(e.tier()).inc();
                removed.labelValues(e.tier(), "corrupt").inc();
            }
            case DELETED -> removed.labelValues(e.tier(), "delete").inc();
            case HIT -> {
                // hits are counted where they are served (with their bytes), see served()
            }
        }
    }

    /** A block served from {@code tier}. */
    public void served(String tier, long namespaceId, long bytes) {
        CounterDataPoint[] c = servedCounters.computeIfAbsent(namespaceId, n -> new ConcurrentHashMap<>())
                .computeIfAbsent(tier, t -> new CounterDataPoint[] {hits.labelValues(t, ns(namespaceId)),
                        readBytes.labelValues(t, ns(namespaceId))});
        c[0].inc();
        c[1].inc(bytes);
    }

    /** A GET key that was not cached. */
    public void missed(long namespaceId) {
        misses.labelValues(ns(namespaceId)).inc();
    }

    /** A request finished. */
    public void request(String opcode, String status, long nanos) {
        Map<String, CounterDataPoint> byStatus = requestCounters.computeIfAbsent(opcode, o -> new ConcurrentHashMap<>());
        byStatus.computeIfAbsent(status, st -> requests.labelValues(opcode, st)).inc();
        latencies.computeIfAbsent(opcode, latency::labelValues).observe(nanos / 1e9);
    }

    /** The last response frame of a request was written to the socket ({@link #request} had ended before). */
    public void replyWritten(String opcode, long nanos) {
        replyWrites.computeIfAbsent(opcode, replyWrite::labelValues).observe(nanos / 1e9);
    }

    /** A protocol error (sent or observed). */
    public void protocolError(String code) {
        protocolErrors.labelValues(code).inc();
    }

    /** A connection was accepted. */
    public void connectionOpened() {
        connections.inc();
    }

    /**
     * Cumulative traffic since start, for {@code kvctl top}: per tier the blocks served, the bytes served by GET
     * and the bytes stored by PUT (summed over namespaces); and the GET keys that missed.
     *
     * @param hits         blocks served, by tier
     * @param readBytes    payload bytes served, by tier
     * @param writtenBytes payload bytes stored, by tier
     * @param misses       GET keys that were not cached
     */
    public record Traffic(Map<String, Long> hits, Map<String, Long> readBytes, Map<String, Long> writtenBytes,
                          long misses) {
    }

    /** A snapshot of {@link Traffic}. */
    public Traffic traffic() {
        long miss = 0;
        for (CounterSnapshot.CounterDataPointSnapshot d : misses.collect().getDataPoints()) {
            miss += (long) d.getValue();
        }
        return new Traffic(byTier(hits), byTier(readBytes), byTier(writtenBytes), miss);
    }

    private static Map<String, Long> byTier(Counter c) {
        Map<String, Long> out = new TreeMap<>();
        for (CounterSnapshot.CounterDataPointSnapshot d : c.collect().getDataPoints()) {
            out.merge(d.getLabels().get("tier"), (long) d.getValue(), Long::sum);
        }
        return out;
    }

    /** Writes the text exposition format. */
    public void scrape(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }

    /** Content type of {@link #scrape}. */
    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    private void eachTier(java.util.function.Consumer<LevelStats> c) {
        TieredStore s = store.get();
        if (s != null) {
            try {
                s.stats().forEach(c);
            } catch (RuntimeException closed) {
                // scraped during shutdown
            }
        }
    }

    private static String ns(long id) {
        return HEX.toHexDigits(id);
    }
}
