package io.kvstore.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.tier.ForwardingTier;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.core.tier.TierStats;
import io.kvstore.policy.linked.LruPolicy;
import io.kvstore.server.tier.TierFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A shared tier's details reach {@code /v1/tiers} and Prometheus, and an open breaker degrades {@code /healthz}
 * (still 200) instead of failing it. The shared tier is a heap tier reporting breaker details, so the test does
 * not depend on Redis (the real remote tier is exercised end to end in client-lib's TwoDaemonsSharedTierTest).
 */
@Timeout(30)
class SharedTierHealthTest {

    /** A heap tier that says it is shared and reports a settable {@code breaker_open}. */
    static final class FakeRemote extends ForwardingTier {
        final AtomicLong breakerOpen = new AtomicLong();

        FakeRemote() {
            super(new HeapTier("remote", 1 << 20));
        }

        @Override
        public boolean shared() {
            return true;
        }

        @Override
        public TierStats stats() {
            TierStats s = tier.stats();
            return new TierStats(s.name(), s.capacityBytes(), s.usedBytes(), s.blocks(), s.hits(), s.misses(),
                    s.corrupt(), Map.of("breaker_open", breakerOpen.get(), "timeouts_total", 7L));
        }
    }

    @Test
    void openBreakerDegradesHealthAndDetailsAreExposed() throws Exception {
        FakeRemote remote = new FakeRemote();
        List<TierFactory.Level> levels = List.of(
                new TierFactory.Level(TierSpec.of(new HeapTier("dram", 1 << 20), new LruPolicy<>()), true),
                new TierFactory.Level(TierSpec.of(remote, new LruPolicy<>()).withRules(false, false), false));
        ServerMetrics metrics = new ServerMetrics();
        try (TieredStore store = TieredStore.builder().with(b -> TierFactory.specs(levels).forEach(b::tier)).build();
             AdminServer admin = new AdminServer("127.0.0.1", 0, store, levels, metrics, Map::of)) {
            metrics.bind(store);
            HttpClient http = HttpClient.newHttpClient();
            assertThat(get(http, admin, "/healthz")).isEqualTo("ok\n");

            remote.breakerOpen.set(2);
            HttpResponse<String> h = http.send(HttpRequest.newBuilder(uri(admin, "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(h.statusCode()).isEqualTo(200);
            assertThat(h.body()).startsWith("degraded:").contains("remote").contains("2 shard(s)");

            JsonNode tiers = new ObjectMapper().readTree(get(http, admin, "/v1/tiers"));
            assertThat(tiers.get(1).path("shared").asBoolean()).isTrue();
            assertThat(tiers.get(1).path("details").path("breaker_open").asLong()).isEqualTo(2);
            assertThat(tiers.get(1).path("details").path("timeouts_total").asLong()).isEqualTo(7);

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            metrics.scrape(out);
            assertThat(out.toString(StandardCharsets.UTF_8))
                    .contains("kvstore_tier_detail{name=\"breaker_open\",tier=\"remote\"} 2.0");
        }
    }

    private static URI uri(AdminServer admin, String path) {
        return URI.create("http://127.0.0.1:" + admin.port() + path);
    }

    private static String get(HttpClient http, AdminServer admin, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(admin, path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
