package io.kvstore.bench.load;

import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The JFR wait summary: grouping, engine attribution, the fraction of thread time; and a real recording. */
@Timeout(60)
class LoadParkSummaryTest {

    @TempDir
    Path dir;

    @Test
    void threadsAreGroupedByName() {
        assertThat(ParkSummary.group("multiThreadIoEventLoopGroup-3-1")).isEqualTo("event-loop");
        assertThat(ParkSummary.group("multiThreadIoEv")).isEqualTo("event-loop");
        assertThat(ParkSummary.group("epollEventLoopGroup-3-1")).isEqualTo("event-loop");
        assertThat(ParkSummary.group("epollEventLoopG")).isEqualTo("event-loop"); // /proc comm, 15 characters
        assertThat(ParkSummary.group("nioEventLoopGroup-2-4")).isEqualTo("event-loop");
        assertThat(ParkSummary.group("kvstore-blocking-3")).isEqualTo("blocking");
        assertThat(ParkSummary.group("kvstore-blockin")).isEqualTo("blocking");
        assertThat(ParkSummary.group("rocksdb:low")).isEqualTo("other");
        assertThat(ParkSummary.group(null)).isEqualTo("other");
    }

    @Test
    void theSiteIsTheFirstKvstoreFrame() {
        assertThat(ParkSummary.site(List.of("jdk.internal.misc.Unsafe.park",
                "java.util.concurrent.locks.LockSupport.park",
                "io.kvstore.core.store.TieredStore.lookup", "io.kvstore.server.net.LookupHandler.handle")))
                .isEqualTo("io.kvstore.core.store.TieredStore.lookup");
        assertThat(ParkSummary.site(List.of("java.util.concurrent.ThreadPoolExecutor.getTask"))).isEqualTo("(none)");
    }

    @Test
    void summaryTotalsEngineWaitsAgainstServerThreadTime() {
        String lock = "java.util.concurrent.locks.ReentrantLock$NonfairSync";
        String get = "io.kvstore.core.store.TieredStore.get";
        String put = "io.kvstore.core.store.TieredStore.put";
        List<ParkSummary.Wait> waits = List.of(
                new ParkSummary.Wait("epollEventLoopGroup-3-1", 3_000_000, lock, get),
                new ParkSummary.Wait("epollEventLoopGroup-3-2", 5_000_000, "X", "io.kvstore.server.net.GetHandler.x"),
                new ParkSummary.Wait("kvstore-blocking-1", 1_000_000_000, lock, put),
                new ParkSummary.Wait("kvstore-blocking-2", 7_000_000_000L, "Cond", "(none)"));
        Map<String, Object> m = ParkSummary.summarize(waits, 10_000_000_000L, 8);
        assertThat((double) m.get("engine_park_s")).isCloseTo(1.003, within(1e-9));
        assertThat((double) m.get("engine_park_fraction_of_thread_time")).isCloseTo(1.003 / 80, within(1e-9));
        assertThat((double) m.get("max_event_loop_park_ms")).isCloseTo(5, within(1e-9));
        assertThat(m.get("max_event_loop_park_site")).isEqualTo("io.kvstore.server.net.GetHandler.x");
        assertThat((double) m.get("max_event_loop_engine_park_ms")).isCloseTo(3, within(1e-9));
        assertThat(Report.at(m, "by_thread_group.blocking.park_s")).isCloseTo(8.0, within(1e-9));
        assertThat(Report.at(m, "by_thread_group.event-loop.events")).isEqualTo(2);
        assertThat(((Map<?, ?>) m.get("by_blocker")).keySet().iterator().next()).isEqualTo("Cond");
    }

    @Test
    void settingsLowerTheLockAndFileThresholds() throws Exception {
        Path f = ParkSummary.settings(dir.resolve("locks.jfc"), "0 ms");
        String jfc = Files.readString(f);
        for (String event : List.of("jdk.ThreadPark", "jdk.JavaMonitorEnter", "jdk.FileRead", "jdk.FileWrite")) {
            int at = jfc.indexOf("<event name=\"" + event + "\">");
            assertThat(jfc.substring(at, jfc.indexOf("</event>", at))).as(event).contains(">0 ms<")
                    .doesNotContain("20 ms");
        }
    }

    @Test
    void fileIoIsCountedOnEventLoopsOnly() {
        String site = "io.kvstore.tier.nvme.SegmentStore.read";
        Map<String, Object> m = ParkSummary.eventLoopFileIo(List.of(
                new ParkSummary.Wait("multiThreadIoEventLoopGroup-3-1", 2_000_000, "jdk.FileRead", site),
                new ParkSummary.Wait("multiThreadIoEventLoopGroup-3-2", 5_000_000, "jdk.FileRead", site),
                new ParkSummary.Wait("kvstore-blocking-1", 90_000_000, "jdk.FileRead", site)));
        assertThat(m.get("events")).isEqualTo(2L);
        assertThat((double) m.get("max_ms")).isCloseTo(5, within(1e-9));
        assertThat((double) m.get("seconds")).isCloseTo(0.007, within(1e-9));
        assertThat(m.get("max_site")).isEqualTo("jdk.FileRead " + site);
        assertThat(ParkSummary.eventLoopFileIo(List.of()).get("events")).isEqualTo(0L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void readsParksOfARealRecordingInsideTheWindow() throws Exception {
        Path jfr = dir.resolve("r.jfr");
        Instant from;
        Instant to;
        try (Recording r = new Recording()) {
            r.enable("jdk.ThreadPark").withThreshold(Duration.ZERO).withStackTrace();
            r.start();
            Object blocker = new Object();
            Thread parkBefore = new Thread(() -> LockSupport.parkNanos(blocker, 20_000_000), "epollEventLoopGroup-9-9");
            parkBefore.start();
            parkBefore.join();
            from = Instant.now();
            Thread t = new Thread(() -> LockSupport.parkNanos(blocker, 30_000_000), "epollEventLoopGroup-9-1");
            t.start();
            t.join();
            to = Instant.now();
            r.stop();
            r.dump(jfr);
        }
        Map<String, Object> m = ParkSummary.read(jfr, from, to, 2);
        assertThat(Report.at(m, "thread_park.by_thread_group.event-loop.events")).isEqualTo(1);
        assertThat(Report.at(m, "thread_park.max_event_loop_park_ms")).isBetween(25.0, 1000.0);
        assertThat(Report.at(m, "thread_park.engine_park_s")).isZero();
        Map<String, ?> byBlocker = (Map<String, ?>) ((Map<?, ?>) m.get("thread_park")).get("by_blocker");
        assertThat(byBlocker.keySet()).contains("java.lang.Object"); // other threads of this JVM park too
    }
}
