package io.kvstore.core.key;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The Java hasher and the Python reference both reproduce docs/hashing-vectors.json. */
class PrefixHasherVectorsTest {

    static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void javaReproducesEveryVector() throws Exception {
        JsonNode vectors = new ObjectMapper().readTree(REPO.resolve("docs/hashing-vectors.json").toFile());
        assertThat(vectors.size()).isGreaterThanOrEqualTo(5);
        for (JsonNode v : vectors) {
            JsonNode n = v.get("namespace");
            Namespace ns = new Namespace(n.get("model_id").asText(),
                    new KvLayout(n.get("dtype").asText(), n.get("layers").asInt(), n.get("kv_heads").asInt(),
                            n.get("head_dim").asInt(), n.get("tokens_per_block").asInt()),
                    text(n, "tenant"), text(n, "cache_salt"), text(n, "lora_id"));
            int[] tokens = new int[v.get("tokens").size()];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (int) v.get("tokens").get(i).asLong();
            }
            List<String> want = new ArrayList<>();
            v.get("keys").forEach(k -> want.add(k.asText()));
            assertThat(ns.root().toHex()).as(v.get("name").asText()).isEqualTo(v.get("root").asText());
            assertThat(new PrefixHasher(ns).hash(tokens)).map(BlockKey::toHex).as(v.get("name").asText())
                    .containsExactlyElementsOf(want);
        }
    }

    @Test
    void pythonReferenceReproducesEveryVector() throws Exception {
        Process p = new ProcessBuilder("python3", "tools/hashing_vectors.py", "--check")
                .directory(REPO.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("0 mismatches");
    }

    @Test
    void vectorsFileIsWhatTheReferencePrints() throws Exception {
        Process p = new ProcessBuilder("python3", "tools/hashing_vectors.py").directory(REPO.toFile()).start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        ObjectMapper om = new ObjectMapper();
        assertThat(om.readTree(printed))
                .isEqualTo(om.readTree(Files.readString(REPO.resolve("docs/hashing-vectors.json"))));
    }

    private static String text(JsonNode n, String field) {
        return n.has(field) ? n.get(field).asText() : "";
    }
}
