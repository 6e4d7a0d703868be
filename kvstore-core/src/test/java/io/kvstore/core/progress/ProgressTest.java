package io.kvstore.core.progress;

import io.kvstore.core.clock.ManualClock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Progress: a bar rewritten in place on a terminal; lines (quiet at first, then one per interval) elsewhere. */
@Timeout(30)
class ProgressTest {

    @Test
    void notOnATerminalEachPhaseIsOneQuietLine() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, "bench load");
        p.phase("run 1/3 full: warm-up, 40 s");
        for (int i = 0; i <= 100; i++) {
            p.at(i / 100.0);
        }
        p.sleep(0.05);
        p.phase("run 1/3 full: measuring, 40 s");
        p.at(0.5);
        p.end();
        p.end();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(
                "bench load: run 1/3 full: warm-up, 40 s" + System.lineSeparator()
                        + "bench load: run 1/3 full: measuring, 40 s" + System.lineSeparator());
    }

    @Test
    void onATerminalAPhaseIsABarRedrawnWhenThePercentageChanges() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, "bench load");
        p.phase("warm-up");
        p.at(0.5);
        p.at(0.501); // same percentage: not redrawn
        p.end();
        p.phase("measuring");
        p.end();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out.chars().filter(ch -> ch == '\r').count()).isEqualTo(5); // 0, 50, 100 %; 0, 100 %
        assertThat(out).contains("\rbench load: warm-up [" + ".".repeat(24) + "]   0%")
                .contains("\rbench load: warm-up [" + "#".repeat(12) + ".".repeat(12) + "]  50%")
                .contains("\rbench load: warm-up [" + "#".repeat(24) + "] 100%" + System.lineSeparator())
                .endsWith("\rbench load: measuring [" + "#".repeat(24) + "] 100%" + System.lineSeparator());
    }

    @Test
    void asLinesAPhaseIsQuietAtFirstThenOneLinePerIntervalWithItsPercentage() {
        List<String> lines = new ArrayList<>();
        ManualClock clock = new ManualClock();
        Progress p = Progress.lines(lines::add, "dram arena", 1, 5, TimeUnit.SECONDS, clock);
        p.phase("scanning 2000 pages");
        p.at(0.9);
        p.end(); // done within the quiet second: nothing at all
        assertThat(lines).isEmpty();

        p.phase("scanning 10^6 pages");
        p.at(0.1);
        clock.advance(Duration.ofMillis(1500));
        p.at(0.2);
        p.at(0.3); // within the interval of the last line
        clock.advance(Duration.ofSeconds(5));
        p.at(0.7);
        clock.advance(Duration.ofSeconds(5));
        p.at(0.7); // same percentage: nothing new to say
        p.at(1);
        p.end();
        assertThat(lines).containsExactly("dram arena: scanning 10^6 pages 20%", "dram arena: scanning 10^6 pages 70%",
                "dram arena: scanning 10^6 pages 100%");
    }

    @Test
    void partsReportTheirMeanAndMayRunOnSeveralThreads() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, "sweep");
        p.phase("4 replays");
        DoubleConsumer[] parts = p.parts(4);
        parts[0].accept(1);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).endsWith(" 25%");
        parts[1].accept(0.5);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).endsWith(" 37%");
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            DoubleConsumer part = parts[i];
            threads.add(new Thread(() -> {
                for (int k = 0; k <= 1000; k++) {
                    part.accept(k / 1000.0);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).endsWith(" 100%");
        assertThatThrownBy(() -> p.parts(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
