package io.kvstore.bench.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
class HybridHitRateCommandTest {
    @TempDir
    Path dir;

    /** 40 conversations of 8 growing turns behind one of 4 shared system prompts, as a Mooncake file. */
    Path conversations() throws Exception {
        StringBuilder sb = new StringBuilder();
        int t = 0;
        for (int turn = 1; turn <= 8; turn++) {
            for (int conv = 0; conv < 40; conv++) {
                int blocks = 2 + 3 * turn;
                sb.append("{\"timestamp\": ").append(t++).append(", \"input_length\": ").append(512 * blocks + 100)
                        .append(", \"hash_ids\": [").append(conv % 4).append(", ").append(10 + conv % 4);
                for (int j = 2; j <= blocks; j++) {
                    sb.append(", ").append(1000 * (conv + 1) + j);
                }
                sb.append("]}\n");
            }
        }
        Path f = dir.resolve("conv.jsonl");
        Files.writeString(f, sb);
        return f;
    }

    String run(String... args) {
        HitRateCommand cmd = new HitRateCommand();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        cmd.out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        cmd.err = cmd.out;
        int rc = new CommandLine(cmd).execute(args);
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(out).isZero();
        return out;
    }

    @Test
    void hybridPresetSweepsRetentionsAtEqualBytesAndWritesTheIssueFields() throws Exception {
        Path json = dir.resolve("h.json");
        Path svg = dir.resolve("h.svg");
        String out = run("--trace", conversations().toString(), "--model", "jamba-1.5-mini", "--capacities",
                "5%,20%,100%", "--threads", "2", "--json", json.toString(), "--plot", svg.toString());
        assertThat(out).contains("8716288 bytes per state snapshot");
        JsonNode rows = new ObjectMapper().readTree(json.toFile());
        assertThat(rows).hasSize(9); // default, lru-every-block, lru-every-4 x 3 capacities
        for (JsonNode row : rows) {
            for (String f : new String[] {"model", "policy", "capacity_fraction", "token_hit_ratio",
                "prefill_flops_saved_fraction"}) {
                assertThat(row.has(f)).as(f).isTrue();
            }
            assertThat(row.get("model").asText()).isEqualTo("jamba-1.5-mini");
        }
        // equal bytes: every retention gets the same capacity in each column
        assertThat(rows.get(0).get("capacity_bytes").asLong()).isEqualTo(rows.get(3).get("capacity_bytes").asLong());
        // at 5% (a few conversations' worth) every-block snapshots crowd out the KV; reuse points do not
        double kv = rows.get(0).get("token_hit_ratio").asDouble();
        double lru = rows.get(3).get("token_hit_ratio").asDouble();
        assertThat(kv).isGreaterThan(1.2 * lru);
        assertThat(rows.get(0).get("snapshots_written").asLong())
                .isLessThan(rows.get(3).get("snapshots_written").asLong() / 4);
        // with room for everything, every retention resumes each conversation's next turn
        assertThat(rows.get(2).get("token_hit_ratio").asDouble()).isGreaterThan(0.7);
        assertThat(rows.get(5).get("token_hit_ratio").asDouble()).isGreaterThan(0.7);
        assertThat(Files.readString(svg)).contains("prefix hit ratio (tokens)").contains("lru-every-block");
    }

    @Test
    void transformerRetentionSweepHasNoSnapshotsAndUnknownRetentionIsAnError() throws Exception {
        Path json = dir.resolve("t.json");
        run("--trace", conversations().toString(), "--model", "llama3-8b", "--retention", "--capacities", "100%",
                "--json", json.toString());
        JsonNode rows = new ObjectMapper().readTree(json.toFile());
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("policy").asText()).isEqualTo("lru-every-block");
        assertThat(rows.get(0).get("snapshots_written").asLong()).isZero();
        HitRateCommand cmd = new HitRateCommand();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(cmd).execute("--trace", conversations().toString(), "--model", "jamba-1.5-mini",
                "--policies", "lru-every-0");
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("lru-every-N needs N >= 1");
    }
}
