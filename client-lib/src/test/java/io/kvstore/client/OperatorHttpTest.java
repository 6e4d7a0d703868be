package io.kvstore.client;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.kvstore.client.ClientServerTest.NS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator sees on the admin port: the dashboard on {@code /}, methods and tiers checked, counters at 0 from
 * the start, JVM/process metrics and build info, tenants against quota, the admin port named in HELLO; and the
 * Grafana dashboard and alert rules in {@code deploy/} naming only metrics the daemon exports.
 */
@Timeout(60)
class OperatorHttpTest {

    /** Metric names in PromQL: ours, the JVM's and the process's. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:kvstore|jvm|process)_[a-z0-9_]+)");
    /** Metrics only a daemon with a shared remote tier exports. */
    private static final Set<String> REMOTE_ONLY = Set.of("kvstore_remote_breaker_open_shards",
            "kvstore_remote_timeouts_total");

    @TempDir
    Path dir;

    final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> send(KvServer s, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.adminPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void countersExistAtZeroBeforeTrafficAndJvmMetricsAreThere() throws Exception {
        try (KvServer s = TestServers.start(TestServers.config(dir).assignment("tenantQuotaBytes=acme=1MiB"))) {
            String m = send(s, "GET", "/metrics").body();
            assertThat(m).contains("kvstore_evictions_total{tier=\"nvme\"} 0.0")
                    .contains("kvstore_blocks_removed_total{reason=\"eviction\",tier=\"dram\"} 0.0")
                    .contains("kvstore_demotions_total{from=\"dram\",to=\"nvme\"} 0.0")
                    .contains("kvstore_promotions_total{from=\"nvme\",to=\"dram\"} 0.0")
                    .contains("kvstore_promotions_skipped_total{tier=\"nvme\"} 0.0")
                    .contains("kvstore_promoted_copy_hits_total{tier=\"nvme\"} 0.0")
                    .contains("kvstore_blocking_tasks_total ")
                    .contains("kvstore_protocol_errors_total{code=\"QUOTA_EXCEEDED\"} 0.0")
                    .contains("kvstore_build_info{java_version=")
                    .contains("kvstore_tenant_quota_bytes{tenant=\"acme\"} 1048576.0")
                    .contains("kvstore_direct_memory_max_bytes ")
                    .contains("kvstore_data_dir_free_bytes ")
                    .contains("jvm_memory_used_bytes{area=\"heap\"}").contains("process_cpu_seconds_total")
                    .contains("kvstore_nvme_segments{tier=\"nvme\"}")
                    .doesNotContain("NaN");
        }
    }

    @Test
    void readOnlyPathsRefuseOtherMethodsAndUnknownTiersAre400() throws Exception {
        try (KvServer s = TestServers.start(TestServers.config(dir))) {
            HttpResponse<String> delete = send(s, "DELETE", "/v1/stats");
            assertThat(delete.statusCode()).isEqualTo(405);
            assertThat(delete.headers().firstValue("Allow")).hasValue("GET");
            assertThat(send(s, "POST", "/metrics").statusCode()).isEqualTo(405);
            assertThat(send(s, "GET", "/v1/evict").statusCode()).isEqualTo(405);
            HttpResponse<String> nope = send(s, "GET", "/v1/blocks?tier=nope");
            assertThat(nope.statusCode()).isEqualTo(400);
            assertThat(nope.body()).contains("unknown tier 'nope'").contains("dram").contains("nvme");
            assertThat(send(s, "GET", "/v1/blocks?tier=dram").statusCode()).isEqualTo(200);
            assertThat(send(s, "GET", "/nothing-here").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theDashboardIsOneSelfContainedPage() throws Exception {
        try (KvServer s = TestServers.start(TestServers.config(dir))) {
            HttpResponse<String> page = send(s, "GET", "/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                    .startsWith("text/html"));
            assertThat(page.body()).contains("<title>kvstore</title>").contains("/v1/counters")
                    .contains("/v1/explain/").doesNotContain("http://").doesNotContain("https://")
                    .doesNotContain("<link").doesNotContain("src=");
        }
    }

    @Test
    void helloNamesTheAdminPort() throws Exception {
        try (KvServer s = TestServers.start(TestServers.config(dir));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            assertThat(c.adminPort(NS)).isEqualTo(s.adminPort());
        }
    }

    @Test
    void tenantUseAgainstQuotaIsExported() throws Exception {
        try (KvServer s = TestServers.start(TestServers.config(dir).assignment("tenantQuotaBytes=acme=10MiB"));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            int[] tokens = ClientServerTest.tokens(2, 5);
            c.putBlocks(NS, BlockPayload.chain(NS, tokens, ClientServerTest.payloads(2, 5)));
            assertThat(send(s, "GET", "/metrics").body())
                    .contains("kvstore_tenant_used_bytes{tenant=\"acme\"} " + (2.0 * ClientServerTest.BLOCK));
            assertThat(send(s, "GET", "/v1/stats").body()).contains("\"tenant\" : \"acme\"");
        }
    }

    @Test
    void grafanaDashboardAndAlertsNameOnlyExportedMetrics() throws Exception {
        Path deploy = Path.of("..", "deploy");
        Set<String> named = new TreeSet<>();
        for (Path f : List.of(deploy.resolve("grafana/kvstore.json"), deploy.resolve("prometheus/alerts.yml"))) {
            Matcher m = METRIC.matcher(Files.readString(f));
            while (m.find()) {
                named.add(m.group(1));
            }
        }
        assertThat(named).hasSizeGreaterThan(20);
        try (KvServer s = TestServers.start(TestServers.config(dir).assignment("tenantQuotaBytes=acme=10MiB"));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            int[] tokens = ClientServerTest.tokens(3, 9);
            c.putBlocks(NS, BlockPayload.chain(NS, tokens, ClientServerTest.payloads(3, 9)));
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            c.getBlocks(NS, keys).forEach(ReceivedBlock::close);
            c.getBlocks(NS, new PrefixHasher(NS).hash(ClientServerTest.tokens(1, 10))); // a miss
            Set<String> exported = new TreeSet<>();
            for (String line : send(s, "GET", "/metrics").body().split("\n")) {
                if (!line.isEmpty() && !line.startsWith("#")) {
                    exported.add(line.split("[{ ]", 2)[0]);
                }
            }
            Set<String> missing = new TreeSet<>(named);
            missing.removeAll(exported);
            missing.removeAll(REMOTE_ONLY);
            assertThat(missing).as("metrics named in deploy/ but not exported").isEmpty();
        }
    }
}
