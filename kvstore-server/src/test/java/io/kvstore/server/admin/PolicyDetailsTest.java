package io.kvstore.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.prefix.AdaptivePrefixPolicy;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default policy's own state reaches operators: a DRAM tier whose policy guessed 256 KiB blocks and holds
 * 4 KiB ones reports, in {@code /v1/tiers} and {@code /metrics}, the capacity in blocks it resized itself to.
 */
@Timeout(30)
class PolicyDetailsTest {

    static final int BLOCK = 4096;
    static final int CAPACITY = 1 << 20; // 256 blocks of 4 KiB, 4 of the guessed 256 KiB

    @Test
    void theDefaultPolicysSizingAndFilterAreExported() throws Exception {
        AdaptivePrefixPolicy<io.kvstore.core.key.BlockKey> policy =
                new AdaptivePrefixPolicy<>(new PolicySpec(CAPACITY, 256 * 1024, 42));
        List<TierFactory.Level> levels = List.of(
                new TierFactory.Level(TierSpec.of(new HeapTier("dram", CAPACITY), policy), true));
        ServerMetrics metrics = new ServerMetrics();
        try (TieredStore store = TieredStore.builder().with(b -> TierFactory.specs(levels).forEach(b::tier)).build();
             AdminServer admin = new AdminServer("127.0.0.1", 0, store, levels, metrics, Map::of)) {
            metrics.bind(store);
            for (int i = 0; i < 1024; i++) {
                store.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK));
            }
            assertThat(policy.resizes()).isEqualTo(1);
            long sized = policy.sizedBlocks();
            assertThat(sized).isBetween(171L, 383L); // within the 1.5x band around 256

            HttpClient http = HttpClient.newHttpClient();
            JsonNode tiers = new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + admin.port() + "/v1/tiers")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            JsonNode details = tiers.get(0).path("policyDetails");
            assertThat(details.path("sized_blocks").asLong()).isEqualTo(sized);
            assertThat(details.path("resizes").asLong()).isEqualTo(1);
            assertThat(details.has("filtering")).isTrue();

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            metrics.scrape(out);
            assertThat(out.toString(StandardCharsets.UTF_8))
                    .contains("kvstore_policy_detail{name=\"sized_blocks\",tier=\"dram\"} " + sized + ".0")
                    .contains("kvstore_policy_detail{name=\"resizes\",tier=\"dram\"} 1.0");
        }
    }
}
