package io.kvstore.bench.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Medians over runs, the latency recorder, the table and the plot. */
@Timeout(30)
class LoadReportTest {

    private static Map<String, Object> run(double turns, double p99, String text) {
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("p99_us", p99);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("turns_per_s", turns);
        m.put("client", client);
        m.put("first_error", text);
        m.put("missing", null);
        return m;
    }

    @Test
    void medianOfRunsIsTakenPlaceByPlace() {
        Map<String, Object> med = Report.medianOf(List.of(run(10, 300, "a"), run(30, 100, "b"), run(20, Double.NaN,
                "c")));
        assertThat(med.get("turns_per_s")).isEqualTo(20.0);
        assertThat(Report.at(med, "client.p99_us")).isEqualTo(200.0); // NaN left out
        assertThat(med.get("first_error")).isEqualTo("a");
        assertThat(med.get("missing")).isNull();
        assertThat(Report.at(med, "client.nothing")).isNaN();
        assertThat(Report.median(List.of())).isNaN();
    }

    @Test
    void latenciesKeepTheWholeMeasurementAndEachSecond() {
        Latencies l = new Latencies();
        for (int i = 1; i <= 100; i++) {
            l.record(i * 10, 0);
        }
        l.record(100_000, 2);
        assertThat(l.count()).isEqualTo(101);
        assertThat(l.percentile(50)).isBetween(495.0, 515.0);
        assertThat((double) l.summary().get("max_us")).isBetween(99_000.0, 101_000.0);
        List<Double> p99 = l.perSecond(99, 3);
        assertThat(p99.get(0)).isBetween(980.0, 1010.0);
        assertThat(p99.get(1)).isNaN();
        assertThat(p99.get(2)).isBetween(99_000.0, 101_000.0);
        assertThat(new Latencies().percentile(99)).isNaN();
    }

    @Test
    void tableAndFigures() {
        assertThat(Report.fmt(73.61)).isEqualTo("73.61");
        assertThat(Report.fmt(0.2161)).isEqualTo("0.216");
        assertThat(Report.fmt(123456.7)).isEqualTo("123457");
        assertThat(Report.fmt(Double.NaN)).isEqualTo("-");
        String t = Report.table(List.of("figure", "full", "roomy"),
                List.of(new Report.Row("turns/s", List.of("15.9", "73.6")), new Report.Row("x", List.of("1", "2"))));
        assertThat(t.split("\n")).containsExactly("figure   full  roomy", "-------  ----  -----",
                "turns/s  15.9   73.6", "x           1      2");
        assertThat(LoadCommand.roomyFor(1_000, Long.MAX_VALUE)).isEqualTo(256L << 20);
        assertThat(LoadCommand.roomyFor(1L << 30, Long.MAX_VALUE)).isEqualTo(4L << 30);
        assertThat(LoadCommand.roomyFor(1L << 30, 6L << 30)).isEqualTo(2L << 30);
        assertThat(LoadCommand.availableMemory()).isPositive();
    }

    @Test
    void svgHasOneLinePerConfigurationAndALogAxis() {
        Map<String, Map<String, List<Double>>> panels = new LinkedHashMap<>();
        Map<String, List<Double>> lines = new LinkedHashMap<>();
        lines.put("full", List.of(1000.0, Double.NaN, 200_000.0));
        lines.put("roomy", List.of(100.0, 150.0, 120.0));
        panels.put("GET <p99>", lines);
        String svg = LatencySvg.render("t & t", panels);
        assertThat(svg).startsWith("<svg").endsWith("</svg>\n").contains("t &amp; t", "GET &lt;p99&gt;", ">full<",
                ">roomy<", ">100 µs<", ">1 s<");
        assertThat(svg.split("<polyline").length - 1).isEqualTo(2);
        assertThat(LatencySvg.micros(2500)).isEqualTo("2.5 ms");
    }
}
