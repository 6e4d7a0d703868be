package io.kvstore.bench.load;

import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the daemon's threads waited during the measurement, from a JFR recording: {@code jdk.ThreadPark}
 * (LockSupport.park: java.util.concurrent locks, conditions, queues) and {@code jdk.JavaMonitorEnter} (a
 * contended {@code synchronized}), each clipped to the measured window.
 *
 * <p>A wait is put down to its <em>site</em>: the first frame of its stack, from the top, in a class of
 * {@code io.kvstore.*} (e.g. {@code io.kvstore.core.store.TieredStore.lookup} for a LOOKUP waiting on the store's
 * lock); {@code (none)} when no kvstore frame is on the stack (an idle pool thread waiting for work). A wait on
 * an <em>engine</em> class is one whose site is in {@code io.kvstore.core.*}. Threads are grouped by name:
 * {@code event-loop} (Netty's {@code *EventLoop*} threads), {@code blocking} ({@code kvstore-blocking-*}),
 * {@code other}.
 */
final class ParkSummary {

    static final String ENGINE_PREFIX = "io.kvstore.core.";
    private static final String KVSTORE_PREFIX = "io.kvstore.";
    private static final int TOP = 12;

    private ParkSummary() {
    }

    /** Names Netty gives event-loop threads (4.2: {@code multiThreadIoEventLoopGroup-<n>-<m>}). */
    private static final List<String> EVENT_LOOP_PREFIXES = List.of("multiThreadIoEventLoopGroup",
            "epollEventLoopGroup", "nioEventLoopGroup", "kqueueEventLoopGroup", "ioUringEventLoopGroup");

    /**
     * The thread group of a thread name, also of a {@code /proc/<pid>/task/<tid>/comm} name (the first 15
     * characters: {@code multiThreadIoEv}).
     */
    static String group(String threadName) {
        if (threadName == null) {
            return "other";
        }
        if (threadName.toLowerCase(Locale.ROOT).contains("eventloop") || threadName.length() == 15
                && EVENT_LOOP_PREFIXES.stream().anyMatch(p -> p.startsWith(threadName))) {
            return "event-loop";
        }
        if (threadName.startsWith("kvstore-blockin")) {
            return "blocking";
        }
        return "other";
    }

    /** The first {@code io.kvstore.*} frame of a stack as {@code Class.method}, or {@code (none)}. */
    static String site(List<String> frames) {
        for (String f : frames) {
            if (f.startsWith(KVSTORE_PREFIX)) {
                return f;
            }
        }
        return "(none)";
    }

    /** One wait: which thread, for how long inside the window, on what, from where. */
    record Wait(String thread, long nanos, String blocker, String site) {
        boolean engine() {
            return site.startsWith(ENGINE_PREFIX);
        }
    }

    /**
     * Summarizes waits of one event type.
     *
     * @param waits         the waits (already clipped to the window)
     * @param windowNanos   length of the measured window
     * @param serverThreads threads of the event-loop and blocking groups (the threads that serve requests)
     */
    static Map<String, Object> summarize(List<Wait> waits, long windowNanos, int serverThreads) {
        Map<String, long[]> byGroup = new LinkedHashMap<>();
        for (String g : List.of("event-loop", "blocking", "other")) {
            byGroup.put(g, new long[2]);
        }
        Map<String, long[]> byBlocker = new HashMap<>();
        Map<String, long[]> bySite = new HashMap<>();
        long engine = 0;
        long engineCount = 0;
        Wait maxLoop = null;
        Wait maxLoopEngine = null;
        for (Wait w : waits) {
            String g = group(w.thread());
            add(byGroup.get(g), w.nanos());
            add(byBlocker.computeIfAbsent(w.blocker(), k -> new long[2]), w.nanos());
            add(bySite.computeIfAbsent(w.site(), k -> new long[2]), w.nanos());
            if (w.engine()) {
                engine += w.nanos();
                engineCount++;
            }
            if (g.equals("event-loop")) {
                if (maxLoop == null || w.nanos() > maxLoop.nanos()) {
                    maxLoop = w;
                }
                if (w.engine() && (maxLoopEngine == null || w.nanos() > maxLoopEngine.nanos())) {
                    maxLoopEngine = w;
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("events", waits.size());
        m.put("window_s", windowNanos / 1e9);
        m.put("server_threads", serverThreads);
        Map<String, Object> groups = new LinkedHashMap<>();
        byGroup.forEach((g, v) -> groups.put(g, entry(v)));
        m.put("by_thread_group", groups);
        m.put("engine_park_s", engine / 1e9);
        m.put("engine_park_events", engineCount);
        m.put("engine_park_per_wall_s", windowNanos == 0 ? 0 : (double) engine / windowNanos);
        m.put("engine_park_fraction_of_thread_time",
                windowNanos == 0 || serverThreads == 0 ? 0 : (double) engine / ((double) windowNanos * serverThreads));
        m.put("max_event_loop_park_ms", maxLoop == null ? 0 : maxLoop.nanos() / 1e6);
        m.put("max_event_loop_park_site", maxLoop == null ? "" : maxLoop.site());
        m.put("max_event_loop_engine_park_ms", maxLoopEngine == null ? 0 : maxLoopEngine.nanos() / 1e6);
        m.put("max_event_loop_engine_park_site", maxLoopEngine == null ? "" : maxLoopEngine.site());
        m.put("by_blocker", top(byBlocker));
        m.put("by_site", top(bySite));
        return m;
    }

    private static void add(long[] v, long nanos) {
        v[0]++;
        v[1] += nanos;
    }

    private static Map<String, Object> entry(long[] v) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("events", v[0]);
        e.put("park_s", v[1] / 1e9);
        return e;
    }

    private static Map<String, Object> top(Map<String, long[]> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[1]))
                .limit(TOP).forEach(e -> out.put(e.getKey(), entry(e.getValue())));
        return out;
    }

    /**
     * Reads {@code jfr} and summarizes {@code jdk.ThreadPark} ({@code thread_park}) and
     * {@code jdk.JavaMonitorEnter} ({@code monitor_enter}) inside {@code [from, to)}.
     */
    static Map<String, Object> read(Path jfr, Instant from, Instant to, int serverThreads) throws IOException {
        Map<String, List<Wait>> waits = Map.of("jdk.ThreadPark", new java.util.ArrayList<>(),
                "jdk.JavaMonitorEnter", new java.util.ArrayList<>(), "jdk.FileRead", new java.util.ArrayList<>(),
                "jdk.FileWrite", new java.util.ArrayList<>());
        try (RecordingFile f = new RecordingFile(jfr)) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                List<Wait> list = waits.get(e.getEventType().getName());
                if (list == null) {
                    continue;
                }
                Instant s = e.getStartTime().isBefore(from) ? from : e.getStartTime();
                Instant t = e.getEndTime().isAfter(to) ? to : e.getEndTime();
                if (!t.isAfter(s)) {
                    continue;
                }
                RecordedThread th = e.getThread();
                String type = e.getEventType().getName();
                String blocker = type.startsWith("jdk.File") ? type
                        : className(e, type.equals("jdk.ThreadPark") ? "parkedClass" : "monitorClass");
                list.add(new Wait(th == null ? null : th.getJavaName(), Duration.between(s, t).toNanos(), blocker,
                        site(frames(e.getStackTrace()))));
            }
        }
        long window = Duration.between(from, to).toNanos();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", jfr.toString());
        m.put("thread_park", summarize(waits.get("jdk.ThreadPark"), window, serverThreads));
        m.put("monitor_enter", summarize(waits.get("jdk.JavaMonitorEnter"), window, serverThreads));
        List<Wait> io = new java.util.ArrayList<>(waits.get("jdk.FileRead"));
        io.addAll(waits.get("jdk.FileWrite"));
        m.put("event_loop_file_io", eventLoopFileIo(io));
        return m;
    }

    /**
     * File reads and writes on event-loop threads (the acceptance: none; a disk read there stalls every connection
     * of the loop): count, total and longest, and where the longest was made.
     */
    static Map<String, Object> eventLoopFileIo(List<Wait> io) {
        long count = 0;
        long total = 0;
        Wait max = null;
        for (Wait w : io) {
            if (group(w.thread()).equals("event-loop")) {
                count++;
                total += w.nanos();
                max = max == null || w.nanos() > max.nanos() ? w : max;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("events", count);
        m.put("seconds", total / 1e9);
        m.put("max_ms", max == null ? 0 : max.nanos() / 1e6);
        m.put("max_site", max == null ? "" : max.blocker() + " " + max.site());
        return m;
    }

    private static String className(RecordedEvent e, String field) {
        if (!e.hasField(field)) {
            return "(none)";
        }
        RecordedClass c = e.getClass(field);
        return c == null ? "(none)" : c.getName();
    }

    private static List<String> frames(RecordedStackTrace st) {
        if (st == null) {
            return List.of();
        }
        List<String> out = new java.util.ArrayList<>();
        for (RecordedFrame f : st.getFrames()) {
            if (f.getMethod() != null && f.getMethod().getType() != null) {
                out.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
            }
        }
        return out;
    }

    private static final Pattern THRESHOLD = Pattern.compile(
            "(<event name=\"(jdk\\.ThreadPark|jdk\\.JavaMonitorEnter|jdk\\.FileRead|jdk\\.FileWrite)\">.*?"
                    + "<setting name=\"threshold\"[^>]*>)([^<]*)(<)",
            Pattern.DOTALL);

    /**
     * Writes a JFR settings file: the JDK's {@code default.jfc} with the thresholds of {@code jdk.ThreadPark},
     * {@code jdk.JavaMonitorEnter}, {@code jdk.FileRead} and {@code jdk.FileWrite} set to {@code threshold} (e.g.
     * {@code 0 ms}: every wait and every file access, so that they can be totalled), for
     * {@code -XX:StartFlightRecording:settings=FILE}.
     */
    static Path settings(Path file, String threshold) throws IOException {
        Path dflt = Path.of(System.getProperty("java.home"), "lib", "jfr", "default.jfc");
        Files.writeString(file, withThreshold(Files.readString(dflt), threshold));
        return file;
    }

    static String withThreshold(String jfc, String threshold) {
        Matcher m = THRESHOLD.matcher(jfc);
        StringBuilder sb = new StringBuilder();
        int n = 0;
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + threshold + m.group(4)));
            n++;
        }
        m.appendTail(sb);
        if (n != 4) {
            throw new IllegalStateException("default.jfc: found " + n + " of the 4 thresholds (locks, file I/O)");
        }
        return sb.toString();
    }
}
