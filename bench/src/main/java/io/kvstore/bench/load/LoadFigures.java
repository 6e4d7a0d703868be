package io.kvstore.bench.load;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of {@code kvstore bench load}: what one configuration's measurement is turned into (client and server
 * latencies, throughput, per-tier deltas of the daemon's counters, disk and scheduler figures), the full / roomy
 * ratios a reader compares, and the stdout table of the medians. Pure functions of their inputs.
 */
final class LoadFigures {

    private LoadFigures() {
    }

    /** The figures of one configuration's measurement. */
    static Map<String, Object> of(LoadCommand.Config c, LoadRun.Result r) {
        Map<String, Object> f = new LinkedHashMap<>();
        double s = r.seconds();
        f.put("dram_bytes", c.dramBytes());
        f.put("seconds", s);
        f.put("turns", r.turns());
        f.put("turns_per_s", r.turns() / s);
        f.put("hit_rate", Report.num(r.blocksLookedUp() == 0 ? Double.NaN
                : (double) r.blocksHit() / r.blocksLookedUp()));
        f.put("get_MBps", r.getBytes() / s / 1e6);
        f.put("put_MBps", r.putBytes() / s / 1e6);
        f.put("get_bytes", r.getBytes());
        f.put("put_bytes", r.putBytes());
        f.put("put_blocks", r.putBlocks());
        f.put("put_status", new LinkedHashMap<String, Object>(r.putStatuses()));
        f.put("errors", r.errors());
        f.put("first_error", r.firstError() == null ? "" : r.firstError());
        f.put("probe_missed_slots", r.probeMissedSlots());
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("lookup", r.lookup().summary());
        client.put("probe_lookup", r.probe().summary());
        client.put("get", r.get().summary());
        client.put("get_per_mib", r.getPerMib().summary());
        client.put("put", r.put().summary());
        f.put("client", nullNaN(client));
        Map<String, Object> server = new LinkedHashMap<>();
        for (String op : LoadCommand.OPS) {
            Map<String, Object> o = new LinkedHashMap<>();
            String h = "kvstore_request_duration_seconds";
            o.put("count", r.after().sum(h + "_count", "opcode", op) - r.before().sum(h + "_count", "opcode", op));
            o.put("p50_us", Report.num(Scrape.quantile(r.before(), r.after(), h, op, 0.50) * 1e6));
            o.put("p99_us", Report.num(Scrape.quantile(r.before(), r.after(), h, op, 0.99) * 1e6));
            o.put("p999_us", Report.num(Scrape.quantile(r.before(), r.after(), h, op, 0.999) * 1e6));
            String w = "kvstore_reply_write_duration_seconds"; // the flush after the request's own time
            o.put("write_p50_us", Report.num(Scrape.quantile(r.before(), r.after(), w, op, 0.50) * 1e6));
            o.put("write_p99_us", Report.num(Scrape.quantile(r.before(), r.after(), w, op, 0.99) * 1e6));
            o.put("write_p999_us", Report.num(Scrape.quantile(r.before(), r.after(), w, op, 0.999) * 1e6));
            server.put(op, o);
        }
        f.put("server", server);
        f.put("tiers", tiers(r.before(), r.after()));
        Map<String, Object> disk = new LinkedHashMap<>();
        disk.put("read_bytes", r.io().readBytes());
        disk.put("write_bytes", r.io().writeBytes());
        disk.put("read_MBps", r.io().readBytes() / s / 1e6);
        disk.put("write_MBps", r.io().writeBytes() / s / 1e6);
        disk.put("write_amplification", Report.num(r.putBytes() == 0 ? Double.NaN
                : (double) r.io().writeBytes() / r.putBytes()));
        f.put("disk", disk);
        Map<String, Object> sched = new LinkedHashMap<>();
        r.sched().forEach((g, v) -> {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("cpu_s_per_s", Report.num(v[0] / 1e9 / s));
            one.put("runqueue_wait_s_per_s", Report.num(v[1] / 1e9 / s));
            sched.put(g, one);
        });
        f.put("sched", sched);
        return f;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> nullNaN(Map<String, Object> m) {
        m.replaceAll((k, v) -> v instanceof Double d ? Report.num(d) : v instanceof Map
                ? nullNaN((Map<String, Object>) v) : v);
        return m;
    }

    /** Per tier, what the measurement moved: deltas of the daemon's counters, and the tier's state at the end. */
    static Map<String, Object> tiers(Scrape before, Scrape after) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String t : after.labelValues("kvstore_tier_capacity_bytes", "tier")) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("served_bytes", delta(before, after, "kvstore_read_bytes_total", "tier", t));
            m.put("hits", delta(before, after, "kvstore_hits_total", "tier", t));
            m.put("put_bytes", delta(before, after, "kvstore_written_bytes_total", "tier", t));
            m.put("admissions", delta(before, after, "kvstore_admissions_total", "tier", t));
            m.put("rejections", delta(before, after, "kvstore_rejections_total", "tier", t));
            m.put("demoted_in", delta(before, after, "kvstore_demotions_total", "to", t));
            m.put("demoted_out", delta(before, after, "kvstore_demotions_total", "from", t));
            m.put("promoted_in", delta(before, after, "kvstore_promotions_total", "to", t));
            m.put("promoted_out", delta(before, after, "kvstore_promotions_total", "from", t));
            m.put("promoted_copy_hits", delta(before, after, "kvstore_promoted_copy_hits_total", "tier", t));
            m.put("promotions_skipped", delta(before, after, "kvstore_promotions_skipped_total", "tier", t));
            m.put("evictions", delta(before, after, "kvstore_evictions_total", "tier", t));
            m.put("used_bytes", after.sum("kvstore_tier_used_bytes", "tier", t));
            m.put("capacity_bytes", after.sum("kvstore_tier_capacity_bytes", "tier", t));
            m.put("blocks", after.sum("kvstore_tier_blocks", "tier", t));
            Map<String, Object> details = new LinkedHashMap<>();
            for (String name : after.labelValues("kvstore_tier_detail", "name")) {
                java.util.function.Predicate<Map<String, String>> p = l -> t.equals(l.get("tier"))
                        && name.equals(l.get("name"));
                if (after.sum("kvstore_tier_detail", p) != 0 || before.sum("kvstore_tier_detail", p) != 0) {
                    details.put(name, after.sum("kvstore_tier_detail", p) - before.sum("kvstore_tier_detail", p));
                }
            }
            m.put("detail_deltas", details);
            // the default policy's state at the end (kvstore_policy_detail): admission filter on, and its sizing
            List<String> policyDetails = after.labelValues("kvstore_policy_detail", "name");
            for (String name : List.of("filtering", "filter_switches", "sized_blocks")) {
                if (policyDetails.contains(name)) {
                    m.put("policy_" + name, after.sum("kvstore_policy_detail",
                            l -> t.equals(l.get("tier")) && name.equals(l.get("name"))));
                }
            }
            out.put(t, m);
        }
        return out;
    }

    private static double delta(Scrape before, Scrape after, String name, String label, String value) {
        return after.sum(name, label, value) - before.sum(name, label, value);
    }

    /** full / roomy of the figures a reader compares. */
    static Map<String, Object> ratios(Map<String, Object> run) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String[] p : new String[][] {{"turns_per_s", "turns_per_s"}, {"get_MBps", "get_MBps"},
            {"put_MBps", "put_MBps"}, {"probe_lookup_p99", "client.probe_lookup.p99_us"},
            {"lookup_p99", "client.lookup.p99_us"}, {"get_per_mib_p99", "client.get_per_mib.p99_us"},
            {"put_p99", "client.put.p99_us"}, {"server_lookup_p99", "server.LOOKUP.p99_us"}}) {
            m.put(p[0], Report.num(Report.at(run, "full." + p[1]) / Report.at(run, "roomy." + p[1])));
        }
        return m;
    }

    /** The stdout table of the medians. */
    static String table(Map<String, Object> med) {
        List<Report.Row> rows = new ArrayList<>();
        String[][] spec = {
            {"turns/s", "turns_per_s"}, {"hit rate", "hit_rate"}, {"GET MB/s", "get_MBps"}, {"PUT MB/s", "put_MBps"},
            {"errors", "errors"}, {"PUT blocks sent", "put_blocks"}, {"PUT blocks stored", "put_status.STORED"},
            {"PUT blocks present (not sent)", "put_status.ALREADY_PRESENT"},
            {"client LOOKUP (prober) p50 us", "client.probe_lookup.p50_us"},
            {"client LOOKUP (prober) p99 us", "client.probe_lookup.p99_us"},
            {"client LOOKUP (prober) p99.9 us", "client.probe_lookup.p999_us"},
            {"client LOOKUP (engines) p50 us", "client.lookup.p50_us"},
            {"client LOOKUP (engines) p99 us", "client.lookup.p99_us"},
            {"client LOOKUP (engines) p99.9 us", "client.lookup.p999_us"},
            {"client GET p50 us", "client.get.p50_us"}, {"client GET p99 us", "client.get.p99_us"},
            {"client GET p99.9 us", "client.get.p999_us"},
            {"client GET per MiB p50 us", "client.get_per_mib.p50_us"},
            {"client GET per MiB p99 us", "client.get_per_mib.p99_us"},
            {"client GET per MiB p99.9 us", "client.get_per_mib.p999_us"},
            {"client PUT p50 us", "client.put.p50_us"}, {"client PUT p99 us", "client.put.p99_us"},
            {"client PUT p99.9 us", "client.put.p999_us"},
            {"server LOOKUP p50 us", "server.LOOKUP.p50_us"}, {"server LOOKUP p99 us", "server.LOOKUP.p99_us"},
            {"server LOOKUP p99.9 us", "server.LOOKUP.p999_us"},
            {"server LOOKUP reply write p99 us", "server.LOOKUP.write_p99_us"},
            {"server LOOKUP reply write p99.9 us", "server.LOOKUP.write_p999_us"},
            {"server GET p50 us", "server.GET.p50_us"}, {"server GET p99 us", "server.GET.p99_us"},
            {"server GET p99.9 us", "server.GET.p999_us"},
            {"server PUT p50 us", "server.PUT.p50_us"}, {"server PUT p99 us", "server.PUT.p99_us"},
            {"server PUT p99.9 us", "server.PUT.p999_us"},
            {"disk read MB/s", "disk.read_MBps"}, {"disk write MB/s", "disk.write_MBps"},
            {"disk write amplification", "disk.write_amplification"},
            {"event loops: CPU s/s", "sched.event-loop.cpu_s_per_s"},
            {"event loops: wait for a CPU s/s", "sched.event-loop.runqueue_wait_s_per_s"},
            {"blocking pool: CPU s/s", "sched.blocking.cpu_s_per_s"},
            {"blocking pool: wait for a CPU s/s", "sched.blocking.runqueue_wait_s_per_s"},
        };
        for (String[] s : spec) {
            double full = Report.at(med, "full." + s[1]);
            double roomy = Report.at(med, "roomy." + s[1]);
            // a ratio to next to nothing (the roomy daemon's disk) says nothing
            String ratio = s[1].startsWith("disk.") || s[1].startsWith("put_") || s[1].equals("errors") ? ""
                    : Report.fmt(full / roomy);
            rows.add(new Report.Row(s[0], List.of(Report.fmt(full), Report.fmt(roomy), ratio)));
        }
        for (String tier : tierNames(med)) {
            for (String[] s : new String[][] {{"served MB", "served_bytes"}, {"PUT MB", "put_bytes"},
                {"demoted in/out", "demoted_in", "demoted_out"}, {"promoted in/out", "promoted_in", "promoted_out"},
                {"hits above on its copies / promotions skipped", "promoted_copy_hits", "promotions_skipped"},
                {"evictions", "evictions"}, {"policy filter on (end) / switches", "policy_filtering",
                    "policy_filter_switches"}}) {
                double scale = s[0].endsWith("MB") ? 1e-6 : 1;
                String full = Report.fmt(Report.at(med, "full.tiers." + tier + "." + s[1]) * scale);
                String roomy = Report.fmt(Report.at(med, "roomy.tiers." + tier + "." + s[1]) * scale);
                if (s.length == 3) {
                    full += " / " + Report.fmt(Report.at(med, "full.tiers." + tier + "." + s[2]));
                    roomy += " / " + Report.fmt(Report.at(med, "roomy.tiers." + tier + "." + s[2]));
                }
                rows.add(new Report.Row(tier + " " + s[0], List.of(full, roomy, "")));
            }
            if (!Double.isNaN(Report.at(med, "full.tiers." + tier + ".detail_deltas.span_reads"))) {
                java.util.function.Function<String, String> spans = config -> {
                    String d = config + ".tiers." + tier + ".detail_deltas.";
                    return Report.fmt(Report.at(med, d + "span_reads")) + " / "
                            + Report.fmt(Report.at(med, d + "span_read_blocks"));
                };
                rows.add(new Report.Row(tier + " span reads / blocks", List.of(spans.apply("full"),
                        spans.apply("roomy"), "")));
            }
        }
        if (!Double.isNaN(Report.at(med, "full.jfr.thread_park.engine_park_s"))) {
            for (String[] s : new String[][] {{"JFR park on engine s", "jfr.thread_park.engine_park_s"},
                {"JFR park on engine / thread time", "jfr.thread_park.engine_park_fraction_of_thread_time"},
                {"JFR max event-loop park ms", "jfr.thread_park.max_event_loop_park_ms"},
                {"JFR max event-loop engine park ms", "jfr.thread_park.max_event_loop_engine_park_ms"},
                {"JFR monitor wait on engine s", "jfr.monitor_enter.engine_park_s"},
                {"JFR file reads+writes on event loops", "jfr.event_loop_file_io.events"},
                {"JFR longest file I/O on an event loop ms", "jfr.event_loop_file_io.max_ms"}}) {
                double full = Report.at(med, "full." + s[1]);
                double roomy = Report.at(med, "roomy." + s[1]);
                rows.add(new Report.Row(s[0], List.of(Report.fmt(full), Report.fmt(roomy), "")));
            }
        }
        StringBuilder sb = new StringBuilder(Report.table(List.of("figure (median of runs)", "full", "roomy",
                "full/roomy"), rows));
        double uds = Report.at(med, "limits.uds_MBps");
        sb.append(String.format(Locale.ROOT, "limits: raw disk write %s MB/s, read %s MB/s (2 MiB I/Os; %s / %s "
                        + "MB/s in the workload's block size; written from distinct memory %s MB/s; O_DIRECT %s), "
                        + "loopback TCP %s MB/s%s%n",
                Report.fmt(Report.at(med, "limits.raw_write_MBps")),
                Report.fmt(Report.at(med, "limits.raw_read_MBps")),
                Report.fmt(Report.at(med, "limits.raw_write_block_MBps")),
                Report.fmt(Report.at(med, "limits.raw_read_block_MBps")),
                Report.fmt(Report.at(med, "limits.raw_write_block_distinct_MBps")),
                Report.at(med, "limits.raw_direct_io") == 1 ? "yes" : "no",
                Report.fmt(Report.at(med, "limits.loopback_MBps")),
                Double.isNaN(uds) ? "" : ", Unix socket " + Report.fmt(uds) + " MB/s"));
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    private static List<String> tierNames(Map<String, Object> med) {
        Object full = med.get("full");
        if (full instanceof Map && ((Map<String, Object>) full).get("tiers") instanceof Map<?, ?> t) {
            return t.keySet().stream().map(Object::toString).toList();
        }
        return List.of();
    }
}
