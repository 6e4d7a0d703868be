package io.kvstore.bench.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.bench.BenchMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class HitRateCommandTest {
    @TempDir
    Path dir;

    @Test
    void sweepsWritesJsonAndSvgAndModelsTtft() throws Exception {
        Path trace = dir.resolve("t.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < 300; r++) {
            // 10 conversations of growing context sharing block 0
            int conv = r % 10;
            int turns = r / 10 + 1;
            sb.append("{\"timestamp\": ").append(r).append(", \"input_length\": ").append(512 * (turns + 1))
                    .append(", \"hash_ids\": [0");
            for (int j = 1; j <= turns; j++) {
                sb.append(", ").append(conv * 1000 + j);
            }
            sb.append("]}\n");
        }
        Files.writeString(trace, sb);
        Path json = dir.resolve("out.json");
        Path svg = dir.resolve("out.svg");
        HitRateCommand cmd = new HitRateCommand();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        cmd.out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(cmd).execute("--trace", trace.toString(), "--policies", "lru,default,opt",
                "--capacities", "1%,10%,100", "--json", json.toString(), "--plot", svg.toString(), "--threads", "2",
                "--tiers", "hbm=1%:default,dram=10%:lru");
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(out).isZero();
        JsonNode rows = new ObjectMapper().readTree(json.toFile());
        assertThat(rows).hasSize(9);
        for (JsonNode row : rows) {
            for (String f : new String[] {"policy", "capacity_blocks", "capacity_fraction", "hit_ratio_blocks",
                "hit_ratio_tokens", "opt_hit_ratio_blocks"}) {
                assertThat(row.has(f)).as(f).isTrue();
            }
            assertThat(row.get("hit_ratio_blocks").asDouble())
                    .isLessThanOrEqualTo(row.get("opt_hit_ratio_blocks").asDouble() + 1e-9);
        }
        assertThat(rows.get(3).get("policy").asText()).isEqualTo("adaptive-prefix");
        assertThat(rows.get(8).get("capacity_blocks").asLong()).isEqualTo(100);
        assertThat(Files.readString(svg)).startsWith("<svg").contains("polyline").contains("adaptive-prefix");
        assertThat(out).contains("no cache").contains("hbm only").contains("tiered (2 tiers)");
    }

    @Test
    void isRegisteredInBenchMainAndRejectsUnknownPolicies() {
        assertThat(new CommandLine(new BenchMain()).getSubcommands()).containsKey("hitrate");
        HitRateCommand cmd = new HitRateCommand();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(cmd).execute("--trace", "synthetic", "--synthetic-sessions", "3", "--policies",
                "nope", "--no-opt");
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("hitrate: unknown policy 'nope'");
        rc = new CommandLine(cmd).execute("--trace", dir.resolve("missing.jsonl").toString());
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no such trace");
    }
}
