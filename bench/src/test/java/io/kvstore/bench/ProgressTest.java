package io.kvstore.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Progress: one plain line per phase when not on a terminal; a bar rewritten in place on one. */
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
}
