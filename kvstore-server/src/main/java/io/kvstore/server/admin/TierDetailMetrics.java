package io.kvstore.server.admin;

import io.kvstore.core.store.LevelStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.ObjDoubleConsumer;

/**
 * The tiers' own figures ({@code TierStats.details()}: NVMe segments and write amplification, the remote tier's
 * breaker, ...) as Prometheus metrics with conventional names, types and base units, one metric per figure and a
 * {@code tier} label: counters end in {@code _total}, bytes in {@code _bytes}, durations are seconds and ratios
 * plain fractions. The table below is the one place that names them (docs/server.md lists them); a detail missing
 * from it is still visible in {@code /v1/tiers} and in the raw {@code kvstore_tier_detail} gauge.
 */
final class TierDetailMetrics {

    private enum Kind { COUNTER, GAUGE }

    /**
     * One detail: its key in {@code details()}, the metric, its kind and the factor to base units.
     */
    private record Detail(String key, String metric, Kind kind, double scale, String help) {
    }

    private static Detail counter(String key, String metric, String help) {
        return new Detail(key, metric, Kind.COUNTER, 1, help);
    }

    private static Detail gauge(String key, String metric, String help) {
        return new Detail(key, metric, Kind.GAUGE, 1, help);
    }

    static final List<Detail> DETAILS = List.of(
            counter("errors", "kvstore_tier_io_errors", "I/O errors of a tier's media"),
            counter("busy", "kvstore_tier_busy", "Operations a tier refused as busy"),
            counter("index_flushes", "kvstore_nvme_index_flushes", "RocksDB index flushes"),
            counter("span_reads", "kvstore_nvme_span_reads", "Reads of several back-to-back records with one I/O"),
            counter("span_read_blocks", "kvstore_nvme_span_read_blocks", "Blocks returned by span reads"),
            counter("payload_bytes_written", "kvstore_nvme_payload_written_bytes", "Payload bytes written to flash"),
            counter("record_bytes_written", "kvstore_nvme_record_written_bytes",
                    "Record bytes (payload, headers, padding) appended to segments"),
            counter("device_bytes_written", "kvstore_nvme_device_written_bytes",
                    "Bytes written to the device, index included (write amplification = this / payload)"),
            counter("device_bytes_written_relocated", "kvstore_nvme_relocated_written_bytes",
                    "Device bytes written by segment reclaim relocating live blocks"),
            counter("device_bytes_written_reinserted", "kvstore_nvme_reinserted_written_bytes",
                    "Device bytes written by reinserting blocks that were read"),
            counter("device_bytes_written_index", "kvstore_nvme_index_written_bytes",
                    "Device bytes written by the RocksDB index"),
            new Detail("write_amplification_permille", "kvstore_nvme_write_amplification_ratio", Kind.GAUGE, 1e-3,
                    "Device bytes written per payload byte"),
            counter("encoded_blocks", "kvstore_nvme_encoded_blocks", "Blocks stored compressed"),
            gauge("direct_io", "kvstore_nvme_direct_io", "1 if segments use O_DIRECT"),
            counter("buffer_allocations", "kvstore_nvme_buffer_allocations", "Read buffers allocated (pool misses)"),
            gauge("buffer_pool_bytes", "kvstore_nvme_buffer_pool_bytes", "Direct bytes held by the read buffer pool"),
            gauge("segments", "kvstore_nvme_segments", "Segment files"),
            gauge("segment_bytes", "kvstore_nvme_segment_bytes", "Bytes in segment files"),
            gauge("segment_garbage_bytes", "kvstore_nvme_segment_garbage_bytes",
                    "Bytes in segments that belong to removed blocks"),
            counter("recycled_segments", "kvstore_nvme_recycled_segments",
                    "Segments written over a retired segment's file instead of a new file"),
            gauge("free_segment_files", "kvstore_nvme_free_segment_files",
                    "Retired segment files kept for reuse"),
            gauge("sst_bytes", "kvstore_nvme_index_sst_bytes", "RocksDB index SST files"),
            gauge("memtable_bytes", "kvstore_nvme_index_memtable_bytes", "RocksDB index memtables"),
            counter("reclaimed_segments", "kvstore_nvme_reclaimed_segments", "Segments reclaimed"),
            counter("relocated_blocks", "kvstore_nvme_relocated_blocks", "Blocks relocated by reclaim"),
            counter("forced_drops", "kvstore_nvme_forced_drops", "Blocks reclaim dropped although pinned or leased"),
            counter("reinserted_blocks", "kvstore_nvme_reinserted_blocks", "Read blocks reinserted by reclaim"),
            counter("reinserted_on_read_blocks", "kvstore_nvme_reinserted_on_read_blocks",
                    "Blocks about to be reclaimed that a read reinserted from the bytes it read"),
            gauge("corrupt_at_open", "kvstore_nvme_open_corrupt_blocks", "Corrupt records found at open"),
            gauge("recovered_at_open", "kvstore_nvme_open_recovered_blocks",
                    "Index records rebuilt from the segment log's tail at open"),
            gauge("torn_at_open", "kvstore_nvme_open_torn_records", "Torn records at the log's tail at open"),
            new Detail("open_millis", "kvstore_nvme_open_duration_seconds", Kind.GAUGE, 1e-3,
                    "Time the tier took to open"),
            counter("timeouts_total", "kvstore_remote_timeouts", "Remote operations over remoteTimeoutMillis"),
            counter("errors_total", "kvstore_remote_errors", "Remote operations that failed"),
            gauge("breaker_open", "kvstore_remote_breaker_open_shards", "Shards whose circuit breaker is open"),
            counter("breaker_opened_total", "kvstore_remote_breaker_opened", "Times a shard's breaker opened"),
            counter("breaker_rejections_total", "kvstore_remote_breaker_rejections",
                    "Calls refused while a breaker was open"),
            counter("oom_total", "kvstore_remote_oom", "Writes Redis refused for maxmemory"),
            counter("bytes_written_total", "kvstore_remote_written_bytes", "Bytes written to the cluster"),
            counter("bytes_read_total", "kvstore_remote_read_bytes", "Bytes read from the cluster"),
            gauge("read_pool_bytes_in_use", "kvstore_remote_read_pool_used_bytes", "Read buffer pool in use"),
            gauge("read_pool_limit_bytes", "kvstore_remote_read_pool_limit_bytes", "Read buffer pool limit"),
            counter("write_through_copied_total", "kvstore_write_through_copied_blocks",
                    "Blocks copied to the cluster on put"),
            counter("write_through_skipped_total", "kvstore_write_through_skipped_blocks",
                    "Write-through copies skipped (queue full)"),
            gauge("write_through_queued_bytes", "kvstore_write_through_queued_bytes", "Bytes waiting for write-through"));

    private TierDetailMetrics() {
    }

    /** Registers one metric per {@link #DETAILS} entry, read from {@code tiers} at scrape time. */
    static void register(PrometheusRegistry registry, Consumer<Consumer<LevelStats>> tiers) {
        for (Detail d : DETAILS) {
            if (d.kind == Kind.COUNTER) {
                CounterWithCallback.builder().name(d.metric).help(d.help).labelNames("tier")
                        .callback(cb -> each(tiers, d, (tier, v) -> cb.call(v, tier))).register(registry);
            } else {
                GaugeWithCallback.builder().name(d.metric).help(d.help).labelNames("tier")
                        .callback(cb -> each(tiers, d, (tier, v) -> cb.call(v, tier))).register(registry);
            }
        }
    }

    private static void each(Consumer<Consumer<LevelStats>> tiers, Detail d, ObjDoubleConsumer<String> out) {
        tiers.accept(s -> {
            Long v = s.tier().details().get(d.key);
            if (v != null) {
                out.accept(s.tier().name(), v * d.scale);
            }
        });
    }
}
