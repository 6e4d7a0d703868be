package io.kvstore.bench.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Parsing the daemon's metrics and the quantiles of the request-duration histogram between two scrapes. */
@Timeout(30)
class LoadScrapeTest {

    private static String histogram(long b1, long b2, long b4, long inf) {
        return "# HELP kvstore_request_duration_seconds x\n"
                + "# TYPE kvstore_request_duration_seconds histogram\n"
                + "kvstore_request_duration_seconds_bucket{le=\"0.001\",opcode=\"LOOKUP\"} " + b1 + "\n"
                + "kvstore_request_duration_seconds_bucket{le=\"0.002\",opcode=\"LOOKUP\"} " + b2 + "\n"
                + "kvstore_request_duration_seconds_bucket{le=\"0.004\",opcode=\"LOOKUP\"} " + b4 + "\n"
                + "kvstore_request_duration_seconds_bucket{le=\"+Inf\",opcode=\"LOOKUP\"} " + inf + "\n"
                + "kvstore_request_duration_seconds_count{opcode=\"LOOKUP\"} " + inf + "\n"
                + "kvstore_request_duration_seconds_bucket{le=\"0.001\",opcode=\"GET\"} 5\n"
                + "kvstore_tier_detail{name=\"payload_bytes_written\",tier=\"nvme\"} 1.5E7\n"
                + "kvstore_demotions_total{from=\"dram\",to=\"nvme\"} 3.0\n";
    }

    @Test
    void parsesSamplesAndLabels() {
        Scrape s = Scrape.parse(histogram(1, 2, 3, 4));
        assertThat(s.sum("kvstore_tier_detail", "tier", "nvme")).isEqualTo(1.5e7);
        assertThat(s.sum("kvstore_demotions_total", "to", "nvme")).isEqualTo(3);
        assertThat(s.sum("kvstore_demotions_total", "from", "nvme")).isZero();
        assertThat(s.labelValues("kvstore_request_duration_seconds_bucket", "opcode")).containsExactly("GET", "LOOKUP");
        assertThat(s.buckets("kvstore_request_duration_seconds", "LOOKUP").lastKey()).isInfinite();
    }

    @Test
    void quantilesInterpolateInsideTheBucketOfTheDifference() {
        Scrape before = Scrape.parse(histogram(10, 10, 10, 10));
        // 100 new observations: 50 <= 1 ms, 40 in (1, 2] ms, 10 in (2, 4] ms
        Scrape after = Scrape.parse(histogram(60, 100, 110, 110));
        String h = "kvstore_request_duration_seconds";
        assertThat(Scrape.quantile(before, after, h, "LOOKUP", 0.5)).isCloseTo(0.001, within(1e-9));
        assertThat(Scrape.quantile(before, after, h, "LOOKUP", 0.25)).isCloseTo(0.0005, within(1e-9));
        assertThat(Scrape.quantile(before, after, h, "LOOKUP", 0.7)).isCloseTo(0.0015, within(1e-9));
        assertThat(Scrape.quantile(before, after, h, "LOOKUP", 0.99)).isCloseTo(0.0038, within(1e-9));
        assertThat(Scrape.quantile(before, after, h, "PUT", 0.99)).isNaN();
        assertThat(Scrape.quantile(after, after, h, "LOOKUP", 0.99)).isNaN(); // nothing observed in between
    }

    @Test
    void aQuantileInTheInfBucketIsTheLargestFiniteBound() {
        Scrape after = Scrape.parse(histogram(1, 1, 1, 100));
        assertThat(Scrape.quantile(null, after, "kvstore_request_duration_seconds", "LOOKUP", 0.99)).isEqualTo(0.004);
    }

    @Test
    void procIoIsParsed() {
        Daemon.Io io = Daemon.parseIo("rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 8192\n"
                + "cancelled_write_bytes: 0\n");
        assertThat(io).isEqualTo(new Daemon.Io(4096, 8192));
        assertThat(io.minus(new Daemon.Io(96, 192))).isEqualTo(new Daemon.Io(4000, 8000));
    }
}
