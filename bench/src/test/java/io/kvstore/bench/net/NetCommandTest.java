package io.kvstore.bench.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A short, small run of the load generator against its in-process server (no Redis): the JSON is complete. */
@Timeout(60)
class NetCommandTest {

    @TempDir
    Path dir;

    @Test
    void shortRunWritesTheFigures() throws Exception {
        Path json = dir.resolve("net.json");
        int code = new CommandLine(new NetCommand()).execute("--runs", "1", "--seconds", "0.3", "--values", "8",
                "--value-size", "64KiB", "--connections", "2", "--lookup-samples", "200", "--agent-seconds", "0.3",
                "--agent-block-size", "16KiB", "--warmup-seconds", "0.2", "--json", json.toString());
        assertThat(code).isZero();
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        assertThat(n.get("kvstore_get_gbps").asDouble()).isPositive();
        assertThat(n.get("lookup_p99_us").asDouble()).isPositive();
        assertThat(n.get("lookup_blocks").asInt()).isEqualTo(128);
        assertThat(n.get("distinct_values").asInt()).isEqualTo(8);
        assertThat(n.get("working_set_bytes").asLong()).isEqualTo(8L * 64 * 1024);
        assertThat(n.get("agent").get("turns_per_s").asDouble()).isPositive();
        assertThat(n.get("agent").get("hit_rate").asDouble()).isBetween(0.0, 1.0);
    }
}
