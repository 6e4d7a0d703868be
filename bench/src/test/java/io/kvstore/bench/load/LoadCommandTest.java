package io.kvstore.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bench load} end to end at tiny sizes: two real daemon processes (full, roomy), two connections, small
 * blocks, a couple of seconds each; the JSON has every figure, with sane values.
 */
@Timeout(120)
class LoadCommandTest {

    @TempDir
    Path dir;

    /** Over loopback TCP, and over the daemons' Unix domain sockets with the Unix-socket limit beside TCP's. */
    @ParameterizedTest
    @ValueSource(strings = {"tcp", "uds"})
    void shortRunAgainstRealDaemonsWritesTheFigures(String transport) throws Exception {
        Path json = dir.resolve("load.json");
        Path out = dir.resolve("out");
        int code = new CommandLine(new LoadCommand()).execute("--seconds", "2", "--warmup-seconds", "1",
                "--warmup-turns", "20", "--roomy-warmup-seconds", "1", "--roomy-jit-seconds", "1", "--runs", "1",
                "--connections", "2", "--block-size", "32KiB",
                "--full-dram", "2MiB", "--nvme", "64MiB", "--roomy-dram", "512MiB", "--raw-disk-bytes", "8MiB",
                "--loopback-seconds", "0.2", "--probe-rate", "100", "--data-root", dir.resolve("data").toString(),
                "--out", out.toString(), "--json", json.toString(), "--transport", transport);
        assertThat(code).isZero();
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        assertThat(n.get("transport").asText()).isEqualTo(transport);
        assertThat(n.get("roomy_jit_seconds").asDouble()).isEqualTo(1.0); // then every block evicted: see below
        assertThat(n.get("median").get("limits").has("uds_MBps")).isEqualTo(transport.equals("uds"));
        if (transport.equals("uds")) {
            assertThat(n.get("median").get("limits").get("uds_MBps").asDouble()).isPositive();
        }
        JsonNode m = n.get("median");
        for (String c : new String[] {"full", "roomy"}) {
            JsonNode f = m.get(c);
            assertThat(f.get("turns_per_s").asDouble()).as(c).isPositive();
            assertThat(f.get("errors").asDouble()).as(c).isZero();
            assertThat(f.get("hit_rate").asDouble()).as(c).isBetween(0.0, 1.0);
            assertThat(f.get("put_bytes").asDouble()).as(c).isPositive();
            assertThat(f.get("put_status").get("STORED").asDouble()).as(c).isPositive();
            for (String op : new String[] {"lookup", "probe_lookup", "get", "get_per_mib", "put"}) {
                JsonNode o = f.get("client").get(op);
                assertThat(o.get("count").asDouble()).as(c + " " + op).isPositive();
                assertThat(o.get("p50_us").asDouble()).as(c + " " + op).isPositive()
                        .isLessThanOrEqualTo(o.get("p99_us").asDouble());
                assertThat(o.get("p99_us").asDouble()).isLessThanOrEqualTo(o.get("p999_us").asDouble());
            }
            for (String op : new String[] {"LOOKUP", "GET", "PUT"}) {
                JsonNode o = f.get("server").get(op);
                assertThat(o.get("count").asDouble()).as(c + " server " + op).isPositive();
                assertThat(o.get("p99_us").asDouble()).as(c + " server " + op).isPositive();
            }
            assertThat(f.get("tiers").has("dram")).isTrue();
            assertThat(f.get("tiers").has("nvme")).isTrue();
            assertThat(f.get("disk").has("write_amplification")).isTrue();
            assertThat(f.get("daemon_threads").get("event-loop").asInt()).as(c).isPositive();
            assertThat(f.get("sched").get("event-loop").get("cpu_s_per_s").asDouble()).as(c).isPositive();
        }
        // the full daemon overflowed into NVMe; the roomy one held everything in DRAM
        // (blocks in its NVMe tier at the end: demotions within the 2 s measured may be none, since an NVMe hit read
        // less often than DRAM keeps blocks is no longer promoted, and a turn's blocks may all be there already)
        assertThat(m.get("full").get("tiers").get("nvme").get("blocks").asDouble()).isPositive();
        assertThat(m.get("roomy").get("tiers").get("dram").get("demoted_out").asDouble()).isZero();
        assertThat(n.get("roomy_overflowed_runs").asInt()).isZero();
        assertThat(m.get("roomy").get("tiers").get("nvme").get("served_bytes").asDouble()).isZero();
        assertThat(m.get("ratios").get("turns_per_s").asDouble()).isPositive();
        assertThat(m.get("limits").get("raw_write_MBps").asDouble()).isPositive();
        assertThat(m.get("limits").get("raw_read_MBps").asDouble()).isPositive();
        assertThat(m.get("limits").get("raw_write_block_distinct_MBps").asDouble()).isPositive();
        assertThat(m.get("limits").get("loopback_MBps").asDouble()).isPositive();
        assertThat(n.get("per_run").size()).isEqualTo(1);
        assertThat(Files.readString(Path.of(n.get("svg").asText()))).contains("<polyline");
        try (var files = Files.list(dir.resolve("data"))) {
            assertThat(files.toList()).as("data directories deleted").isEmpty();
        }
    }

    @Test
    void badOptionsAreOneLineErrors() {
        for (String[] args : new String[][] {{"--workload", "nope"}, {"--connections", "0"}, {"--seconds", "-1"},
            {"--block-size", "12 parsecs"}, {"--full-dram", "lots"}, {"--transport", "carrier-pigeon"},
            {"--roomy-jit-seconds", "-1"},
            {"--workload", "weka", "--trace",
                dir.resolve("missing").toString()}}) {
            StringWriter err = new StringWriter();
            CommandLine cl = new CommandLine(new LoadCommand()).setErr(new PrintWriter(err));
            int code = cl.execute(args);
            assertThat(code).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", args)).startsWith("bench load: ");
            assertThat(err.toString().strip().lines().count()).as(String.join(" ", args)).isEqualTo(1);
        }
    }
}
