package io.kvstore.bench.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A short, small run of the load generator against its in-process server (no Redis): the figures are measured. */
@Timeout(60)
class NetCommandTest {

    @TempDir
    Path dir;

    /** Over loopback TCP, and over the in-process server's Unix domain socket. */
    @ParameterizedTest
    @ValueSource(strings = {"tcp", "uds"})
    void shortRunWritesTheFigures(String transport) throws Exception {
        Path json = dir.resolve("net.json");
        int code = new CommandLine(new NetCommand()).execute("--runs", "1", "--seconds", "0.3", "--values", "8",
                "--value-size", "64KiB", "--connections", "2", "--lookup-samples", "200", "--agent-seconds", "0.3",
                "--agent-block-size", "16KiB", "--warmup-seconds", "0.2", "--json", json.toString(),
                "--transport", transport);
        assertThat(code).isZero();
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        assertThat(n.get("transport").asText()).isEqualTo(transport);
        // the figures are measured (positive) and the reported median is the median of the runs (here: the one run)
        assertThat(n.get("kvstore_get_gbps").asDouble()).isPositive()
                .isEqualTo(n.get("kvstore_get_gbps_runs").get(0).asDouble());
        assertThat(n.get("lookup_p99_us").asDouble()).isPositive()
                .isEqualTo(n.get("lookup_p99_us_runs").get(0).asDouble());
        JsonNode agent = n.get("agent");
        assertThat(agent.get("turns_per_s").asDouble()).isPositive();
        assertThat(agent.get("put_gbps").asDouble()).as("every turn stores its new blocks").isPositive();
        assertThat(agent.get("lookup_p99_us").asDouble()).as("every turn looks its prefix up").isPositive();
        assertThat(agent.get("hit_rate").asDouble()).isBetween(0.0, 1.0);
    }

    @Test
    void aBadTransportIsOneLine() {
        assertThat(new CommandLine(new NetCommand()).execute("--transport", "smoke-signals")).isEqualTo(2);
        assertThat(new CommandLine(new NetCommand()).execute("--transport", "uds", "--port", "7379")).isEqualTo(2);
    }
}
