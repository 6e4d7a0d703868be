package io.kvstore.bench.trace;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class TraceReadersTest {
    @TempDir
    Path dir;

    static final String MOONCAKE = """
            {"timestamp": 0, "input_length": 1100, "output_length": 5, "hash_ids": [7, 8, 9]}
            {"timestamp": 10, "input_length": 1024, "output_length": 5, "hash_ids": [7, 8]}
            {"timestamp": 20, "input_length": 600, "output_length": 5, "extra": {"x": [1]}, "hash_ids": [7, 30]}
            """;

    private Path write(String name, String text, boolean gzip) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }

    @Test
    void readsMooncakePlainAndGzippedAlike() throws IOException {
        for (boolean gz : new boolean[] {false, true}) {
            Path p = write(gz ? "t.jsonl.gz" : "t.jsonl", MOONCAKE, gz);
            assertThat(TraceFormat.detect(p)).isEqualTo(TraceFormat.MOONCAKE);
            Trace t = TraceFormat.MOONCAKE.load(p, 1);
            assertThat(t.requests()).isEqualTo(3);
            assertThat(t.accesses()).isEqualTo(7);
            assertThat(t.uniqueBlocks()).isEqualTo(4); // 7, 8, 9, 30 renamed densely
            assertThat(t.block(0)).isEqualTo(t.block(3)).isEqualTo(t.block(5));
            assertThat(t.blockTokens()).isEqualTo(512);
            assertThat(t.partial(0, 2)).isTrue(); // 1100 = 512 + 512 + 76
            assertThat(t.tokens(0, 2)).isEqualTo(76);
            assertThat(t.partial(1, 1)).isFalse(); // 1024 tokens: two full blocks
            assertThat(t.timeMillis(2)).isEqualTo(20);
            assertThat(t.nextAccess()).containsExactly(3, 4, Integer.MAX_VALUE, 5, Integer.MAX_VALUE,
                    Integer.MAX_VALUE, Integer.MAX_VALUE);
        }
    }

    @Test
    void malformedMooncakeNamesTheRecord() throws IOException {
        Path p = write("bad.jsonl", "{\"timestamp\": 0, \"input_length\": 5, \"hash_ids\": [1]}\n{\"timestamp\": 1}\n",
                false);
        assertThatThrownBy(() -> MooncakeReader.read(p)).isInstanceOf(TraceFormatException.class)
                .hasMessageContaining("record 2");
        Path q = write("broken.jsonl", "{\"timestamp\": 0, \"hash_ids\": [1,", false);
        assertThatThrownBy(() -> MooncakeReader.read(q)).isInstanceOf(TraceFormatException.class)
                .hasMessageContaining("broken.jsonl");
    }

    static String session(String id, double t2) {
        return "{\"id\":\"" + id + "\",\"block_size\":64,\"hash_id_scope\":\"local\",\"requests\":["
                + "{\"t\":0.0,\"type\":\"n\",\"in\":130,\"out\":5,\"hash_ids\":[1,2]},"
                + "{\"t\":1.0,\"type\":\"subagent\",\"in\":10,\"out\":5},"
                + "{\"t\":" + t2 + ",\"type\":\"n\",\"in\":200,\"out\":5,\"hash_ids\":[1,2,3]}]}";
    }

    @Test
    void mergesKvTesterSessionsWithLocalIdsDeterministically() throws IOException {
        Path d = Files.createDirectory(dir.resolve("sessions"));
        write("sessions/trace_0001.json.gz", session("a", 5.0), true);
        write("sessions/trace_0002.json", session("b", 7.5), false);
        write("sessions/readme.txt", "not a trace", false);
        assertThat(TraceFormat.detect(d)).isEqualTo(TraceFormat.KVTESTER);
        Trace t = KvTesterReader.read(d, 42, 60_000);
        assertThat(t.requests()).isEqualTo(4); // the request without hash_ids is skipped
        assertThat(t.sessions()).isEqualTo(2);
        assertThat(t.uniqueBlocks()).isEqualTo(6); // ids 1..3 in each session are different blocks
        assertThat(t.blockTokens()).isEqualTo(64);
        for (int r = 1; r < t.requests(); r++) {
            assertThat(t.timeMillis(r)).isGreaterThanOrEqualTo(t.timeMillis(r - 1));
        }
        Trace again = KvTesterReader.read(d, 42, 60_000);
        Trace other = KvTesterReader.read(d, 43, 60_000);
        for (int r = 0; r < t.requests(); r++) {
            assertThat(again.timeMillis(r)).isEqualTo(t.timeMillis(r));
            assertThat(again.session(r)).isEqualTo(t.session(r));
        }
        assertThat(other.timeMillis(0) != t.timeMillis(0) || other.timeMillis(3) != t.timeMillis(3)).isTrue();
    }

    @Test
    void kvTesterRejectsMissingBlockSizeAndEmptyDirectories() throws IOException {
        Path p = write("x.json", "{\"requests\": []}", false);
        assertThatThrownBy(() -> KvTesterReader.read(p, 1, 1000)).isInstanceOf(TraceFormatException.class)
                .hasMessageContaining("block_size");
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> KvTesterReader.read(empty, 1, 1000)).isInstanceOf(TraceFormatException.class);
        assertThatThrownBy(() -> TraceFormat.parse("csv")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mooncake");
    }

    @Test
    void syntheticAgentsShareTheSystemPromptAndGrowTheirContext() {
        SyntheticAgentWorkload w = new SyntheticAgentWorkload(20, 5, 64, 640, 2, 1280, 500, 50_000, 60_000, 1000);
        Trace a = w.generate(7);
        Trace b = w.generate(7);
        assertThat(a.accesses()).isEqualTo(b.accesses()).isPositive();
        assertThat(a.sessions()).isEqualTo(20);
        int[] lastLen = new int[20];
        for (int r = 0; r < a.requests(); r++) {
            assertThat(a.block(a.start(r))).isEqualTo(a.block(0)); // the system prompt's first block
            int len = a.end(r) - a.start(r);
            assertThat(len).isGreaterThanOrEqualTo(lastLen[a.session(r)]);
            lastLen[a.session(r)] = len;
        }
    }
}
