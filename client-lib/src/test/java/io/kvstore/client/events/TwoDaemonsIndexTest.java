package io.kvstore.client.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.index.IndexService;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real daemons publishing KV events and a real {@code kvstore index} over them (loopback ZeroMQ and HTTP): a
 * prefix stored through daemon B scores highest for B and routes there; once B is stopped and restarted empty on
 * the same addresses, the index stops routing that prefix to B within 5 s.
 */
class TwoDaemonsIndexTest {

    static final Namespace NS = KvEventsStreamTest.NS;

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    /** A daemon publishing on {@code events} and {@code replay} ({@code tcp://127.0.0.1:*} binds any free port). */
    static ConfigLoader daemon(Path dir, String events, String replay) {
        return TestServers.config(dir).assignment("kvEventsEndpoint=" + events)
                .assignment("kvEventsReplayEndpoint=" + replay)
                .assignment("kvEventsHeartbeatMillis=500");
    }

    /**
     * Starts a daemon on addresses a stopped one just released. Bound ports are picked by the daemon itself (port
     * {@code *}), never probed and released by the test, so no other process can take them between probe and bind;
     * only this restart reuses an address, and it retries briefly while the old sockets finish closing.
     */
    static KvServer restartOn(Path dir, String events, String replay) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (true) {
            try {
                return TestServers.start(daemon(dir, events, replay));
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline || !String.valueOf(e.getMessage()).contains("cannot bind")) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    private JsonNode post(IndexService ix, String path, Object body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ix.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private static Map<String, Object> query(int[] tokens) {
        Map<String, Object> ns = Map.of("modelId", NS.modelId(), "dtype", NS.layout().dtype(), "layers",
                NS.layout().layers(), "kvHeads", NS.layout().kvHeads(), "headDim", NS.layout().headDim(),
                "tokensPerBlock", NS.layout().tokensPerBlock(), "tenant", NS.tenant());
        return Map.of("namespace", ns, "tokens", Arrays.stream(tokens).boxed().toList());
    }

    private static int prefix(JsonNode score, String endpoint) {
        for (JsonNode e : score.get("endpoints")) {
            if (e.get("endpoint").asText().equals(endpoint)) {
                return e.get("prefixBlocks").asInt();
            }
        }
        throw new AssertionError("no endpoint " + endpoint + " in " + score);
    }

    private JsonNode awaitScore(IndexService ix, int[] tokens, Predicate<JsonNode> ok, long seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        JsonNode s = null;
        while (System.nanoTime() < deadline) {
            s = post(ix, "/v1/score", query(tokens));
            if (ok.test(s)) {
                return s;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the index did not reach the expected state within " + seconds + " s: " + s);
    }

    private static void put(KvServer s, List<BlockPayload> blocks) {
        try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            assertThat(c.putBlocks(NS, blocks).statuses()).containsOnly(PutCode.STORED);
        }
    }

    @Test
    @Timeout(120)
    void aPrefixStoredThroughBRoutesToBUntilBRestartsEmpty() throws Exception {
        String any = "tcp://127.0.0.1:*";
        KvServer b = TestServers.start(daemon(dir.resolve("b1"), any, any));
        String bEvents = b.events().endpoint();
        String bReplay = b.events().replayEndpoint();
        try (KvServer a = TestServers.start(daemon(dir.resolve("a"), any, any));
             IndexService ix = new IndexService(new IndexService.Settings(List.of(
                     new IndexService.Endpoint("a", a.events().endpoint(), a.events().replayEndpoint()),
                     new IndexService.Endpoint("b", bEvents, bReplay)),
                     "127.0.0.1", 0, 2000, 1 << 16, 12_000, 3, NS.layout().tokensPerBlock()))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!(ix.live(0) && ix.live(1)) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(ix.live(0) && ix.live(1)).as("both daemons heard").isTrue();

            int[] tokens = KvEventsStreamTest.tokens(5, 8);
            List<BlockPayload> prefix = KvEventsStreamTest.chain(5, 8);
            put(b, prefix);
            put(a, prefix.subList(0, 2));
            JsonNode score = awaitScore(ix, tokens, s -> prefix(s, "b") == 8 && prefix(s, "a") == 2, 20);
            double aScore = score.get("endpoints").get(0).get("score").asDouble();
            double bScore = score.get("endpoints").get(1).get("score").asDouble();
            assertThat(bScore).isGreaterThan(aScore);
            assertThat(post(ix, "/v1/route", query(tokens)).get("endpoint").asText()).isEqualTo("b");

            b.close(); // B goes away ...
            long stopped = System.nanoTime();
            b = restartOn(dir.resolve("b2"), bEvents, bReplay); // ... and comes back empty
            awaitScore(ix, tokens, s -> prefix(s, "b") == 0, 5);
            JsonNode route = post(ix, "/v1/route", query(tokens));
            double seconds = (System.nanoTime() - stopped) / 1e9;
            System.out.printf("index: routed away from the restarted daemon %.2f s after it stopped%n", seconds);
            assertThat(route.get("endpoint").asText()).isEqualTo("a");
            assertThat(seconds).isLessThan(5);
        } finally {
            b.close();
        }
    }
}
