package io.kvstore.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.kvstore.client.ClientServerTest.NS;
import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP admin port after real traffic: metrics, health, JSON views; and draining shutdown. */
@Timeout(60)
class AdminHttpTest {

    @TempDir
    Path dir;

    final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> get(KvServer s, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsHealthAndJsonViews() throws Exception {
        try (KvServer s = TestServers.start(TestServers.config(dir));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            int[] tokens = ClientServerTest.tokens(4, 21);
            c.putBlocks(NS, BlockPayload.chain(NS, tokens, ClientServerTest.payloads(4, 21)));
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            c.getBlocks(NS, keys).forEach(ReceivedBlock::close);
            c.lookup(NS, keys);
            c.getBlocks(NS, new PrefixHasher(NS).hash(ClientServerTest.tokens(1, 22))); // a miss

            assertThat(get(s, "/healthz").body()).isEqualTo("ok\n");

            String m = get(s, "/metrics").body();
            String ns = NS.idHex();
            assertThat(m).contains("kvstore_hits_total{namespace=\"" + ns + "\",tier=\"dram\"} 4.0")
                    .contains("kvstore_read_bytes_total{namespace=\"" + ns + "\",tier=\"dram\"} "
                            + (4.0 * ClientServerTest.BLOCK))
                    .contains("kvstore_misses_total{namespace=\"" + ns + "\"} 1.0")
                    .contains("kvstore_admissions_total{tier=\"dram\"} 4.0")
                    .contains("kvstore_request_duration_seconds_bucket{opcode=\"GET\"")
                    .contains("kvstore_reply_write_duration_seconds_bucket{opcode=\"LOOKUP\"")
                    .contains("kvstore_reply_write_duration_seconds_bucket{opcode=\"PUT\"")
                    .contains("kvstore_requests_total{opcode=\"PUT\",status=\"OK\"} 4.0")
                    .contains("kvstore_tier_used_bytes{tier=\"dram\"} " + (4.0 * ClientServerTest.BLOCK))
                    .contains("kvstore_blocking_queue_depth").contains("kvstore_blocking_queue_limit 256.0")
                    .contains("kvstore_direct_memory_used_bytes{pool=\"direct\"}")
                    .contains("kvstore_evictions_total").contains("kvstore_explain_history_dropped_events_total 0.0")
                    .doesNotContain("NaN");

            ObjectMapper json = new ObjectMapper();
            JsonNode stats = json.readTree(get(s, "/v1/stats").body());
            assertThat(stats.get("blocks").asInt()).isEqualTo(4);
            assertThat(stats.get("tiers").get(0).get("admitted").asLong()).isEqualTo(4);
            JsonNode tiers = json.readTree(get(s, "/v1/tiers").body());
            assertThat(tiers.get(0).get("name").asText()).isEqualTo("dram");
            assertThat(tiers.get(0).get("inMemory").asBoolean()).isTrue();

            HttpResponse<String> block = get(s, "/v1/blocks/" + keys.get(2).toHex());
            assertThat(block.statusCode()).isEqualTo(200);
            JsonNode b = json.readTree(block.body());
            assertThat(b.get("position").asInt()).isEqualTo(2);
            assertThat(b.get("tier").asText()).isEqualTo("dram");
            assertThat(b.get("parent").asText()).isEqualTo(keys.get(1).toHex());
            assertThat(get(s, "/v1/blocks/zz").statusCode()).isEqualTo(400);
            assertThat(get(s, "/v1/blocks/" + BlockKey.synthetic(9, 9).toHex()).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void shutdownDrainsRequestsInFlight() throws Exception {
        KvServer s = TestServers.start(TestServers.config(dir.resolve("d")));
        try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            int[] tokens = ClientServerTest.tokens(32, 23);
            CompletableFuture<PutAck> put = c.putBlocksAsync(NS,
                    BlockPayload.chain(NS, tokens, ClientServerTest.payloads(32, 23)), false);
            put.join();
            List<CompletableFuture<PrefixLookup>> pending = new java.util.ArrayList<>();
            for (int i = 0; i < 50; i++) {
                pending.add(c.lookupPrefixAsync(NS, tokens));
            }
            pending.get(0).join(); // the server has started reading the burst; close() now races the rest of it
            s.close();
            long answered = pending.stream().filter(f -> {
                try {
                    return f.join().hitBlocks() == 32;
                } catch (RuntimeException e) {
                    assertThat(e.getCause()).isInstanceOf(KvStoreException.class);
                    return false;
                }
            }).count();
            // requests already read are answered; later ones get SHUTTING_DOWN or a closed connection, never junk
            assertThat(answered).isPositive();
        }
    }
}
