package io.kvstore.bench.load;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Latencies of one kind of request in microseconds: one histogram over the whole measurement and one per second
 * of it (for the latency-over-time plot). Thread-safe (recording takes a monitor: requests take milliseconds,
 * so the monitor is not what is measured).
 */
final class Latencies {

    static final long MAX_MICROS = 3_600_000_000L;

    private final Histogram all = new Histogram(MAX_MICROS, 3);
    private final List<Histogram> perSecond = new ArrayList<>();

    /** Records {@code micros} (at least 1) at {@code second} of the measurement. */
    synchronized void record(long micros, int second) {
        long v = Math.max(1, Math.min(MAX_MICROS, micros));
        all.recordValue(v);
        while (perSecond.size() <= second) {
            perSecond.add(new Histogram(MAX_MICROS, 2));
        }
        perSecond.get(second).recordValue(v);
    }

    synchronized long count() {
        return all.getTotalCount();
    }

    /** Percentile {@code p} (0..100) over the whole measurement; NaN if nothing was recorded. */
    synchronized double percentile(double p) {
        return all.getTotalCount() == 0 ? Double.NaN : all.getValueAtPercentile(p);
    }

    /** Percentile {@code p} of each second (NaN for a second with no request). */
    synchronized List<Double> perSecond(double p, int seconds) {
        List<Double> out = new ArrayList<>();
        for (int s = 0; s < seconds; s++) {
            Histogram h = s < perSecond.size() ? perSecond.get(s) : null;
            out.add(h == null || h.getTotalCount() == 0 ? Double.NaN : (double) h.getValueAtPercentile(p));
        }
        return out;
    }

    /** count, p50, p99, p99.9 and max, in microseconds. */
    synchronized Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", all.getTotalCount());
        m.put("p50_us", percentile(50));
        m.put("p99_us", percentile(99));
        m.put("p999_us", percentile(99.9));
        m.put("max_us", all.getTotalCount() == 0 ? Double.NaN : (double) all.getMaxValue());
        return m;
    }
}
