package io.kvstore.client.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /v1/query} on the admin port: the longest cached run by token ids or by keys, and bad input. */
class PrefixQueryTest {

    @TempDir
    Path dir;

    private static HttpResponse<String> post(KvServer s, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + s.adminPort() + "/v1/query"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Object> namespace(Namespace ns) {
        return Map.of("modelId", ns.modelId(), "dtype", ns.layout().dtype(), "layers", ns.layout().layers(),
                "kvHeads", ns.layout().kvHeads(), "headDim", ns.layout().headDim(),
                "tokensPerBlock", ns.layout().tokensPerBlock(), "tenant", ns.tenant(), "cacheSalt", ns.cacheSalt(),
                "loraId", ns.loraId());
    }

    @Test
    @Timeout(60)
    void aQueryByTokensOrKeysAnswersTheLongestCachedRunAndItsTiers() throws Exception {
        Namespace ns = KvEventsStreamTest.NS;
        ObjectMapper json = new ObjectMapper();
        try (KvServer server = TestServers.start(TestServers.config(dir));
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            List<BlockPayload> stored = KvEventsStreamTest.chain(7, 4);
            client.putBlocks(ns, stored);
            int[] all = KvEventsStreamTest.tokens(7, 6); // 4 blocks stored, then 2 that are not
            JsonNode r = json.readTree(post(server, json.writeValueAsString(Map.of("namespace", namespace(ns),
                    "tokens", Arrays.stream(all).boxed().toList()))).body());
            assertThat(r.get("blocks").asInt()).isEqualTo(6);
            assertThat(r.get("hitBlocks").asInt()).isEqualTo(4);
            assertThat(r.get("tiers")).hasSize(4).allSatisfy(t -> assertThat(t.asText()).isEqualTo("dram"));
            assertThat(r.get("media")).allSatisfy(t -> assertThat(t.asText()).isEqualTo("CPU_PINNED"));

            List<String> keys = new ArrayList<>();
            for (BlockPayload b : stored) {
                keys.add(b.meta().key().toHex());
            }
            keys.set(2, BlockKey.synthetic(1, 2).toHex()); // a run stops at the first block not held
            String id = HexFormat.of().toHexDigits(ns.id());
            JsonNode byKeys = json.readTree(post(server, json.writeValueAsString(Map.of("namespaceId", id,
                    "keys", keys))).body());
            assertThat(byKeys.get("hitBlocks").asInt()).isEqualTo(2);
            JsonNode otherNamespace = json.readTree(post(server, json.writeValueAsString(Map.of("namespaceId",
                    "0000000000000001", "keys", keys))).body());
            assertThat(otherNamespace.get("hitBlocks").asInt()).isZero();

            HttpResponse<String> bad = post(server, "{\"hashes\": [1, 2]}");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("give \\\"tokens\\\" with \\\"namespace\\\"");
            HttpResponse<String> badKey = post(server, "{\"namespaceId\": \"" + id + "\", \"keys\": [\"zz\"]}");
            assertThat(badKey.statusCode()).isEqualTo(400);
        }
    }
}
