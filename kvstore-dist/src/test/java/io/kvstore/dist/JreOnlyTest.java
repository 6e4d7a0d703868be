package io.kvstore.dist;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.BlockStream;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The distribution on a Java runtime without a compiler: a runtime made with {@code jlink} from the JDK's runtime
 * modules (what a JRE holds: {@code java.se} and the {@code jdk.*} runtime modules, no {@code jdk.compiler}) runs
 * {@code bin/kvstore serve}, answers {@code /healthz}, takes a PUT and serves it back, and after a restart serves it
 * from the DRAM arena it left in its files (the warm restart); {@code kvstore ctl} runs on it too.
 */
@Timeout(400)
class JreOnlyTest {

    /** A JRE's modules, without jdk.compiler (and the other development tools). */
    static final String JRE_MODULES = "java.se,jdk.unsupported,jdk.management,jdk.httpserver,jdk.jfr,jdk.crypto.ec,"
            + "jdk.zipfs,jdk.net,jdk.naming.dns,jdk.localedata";

    @TempDir
    static Path dir;

    @Test
    void servesStoresAndRestartsWarmOnARuntimeWithoutACompiler() throws Exception {
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        assumeTrue(Files.isExecutable(jlink), "making the runtime needs jlink (the tests run on a JDK)");
        Path jre = dir.resolve("jre");
        long t0 = System.nanoTime();
        Process link = new ProcessBuilder(jlink.toString(), "--add-modules", JRE_MODULES, "--no-header-files",
                "--no-man-pages", "--output", jre.toString()).redirectErrorStream(true).start();
        String linkOut = new String(link.getInputStream().readAllBytes());
        assertThat(link.waitFor(300, TimeUnit.SECONDS)).as("jlink ended").isTrue();
        assertThat(link.exitValue()).as(linkOut).isZero();
        Path java = jre.resolve("bin/java");
        Process list = new ProcessBuilder(java.toString(), "--list-modules").redirectErrorStream(true).start();
        String modules = new String(list.getInputStream().readAllBytes());
        list.waitFor(60, TimeUnit.SECONDS);
        assertThat(modules).contains("java.base@").doesNotContain("jdk.compiler");
        System.out.printf("JRE-ONLY: a runtime without jdk.compiler made with jlink in %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);

        Distribution dist = Distribution.unpack(dir);
        Map<String, String> env = Map.of("JAVA", java.toString());
        Path data = dir.resolve("data");
        Path arena = dir.resolve("arena");
        String[] tiers = {"--set", "hbmCapacityBytes=0", "--set", "dramCapacityBytes=32MiB", "--set",
            "dramPersistDir=" + arena, "--set", "nvmeCapacityBytes=64MiB"};
        Namespace ns = new Namespace("jre-only", new KvLayout("bf16", 2, 2, 64, 16), "", "", "");
        int[] tokens = new int[16 * 4];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i * 31 + 7;
        }
        List<ByteBuffer> payloads = new ArrayList<>();
        for (int b = 0; b < 4; b++) {
            byte[] bytes = new byte[64 << 10];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (b * 13 + i);
            }
            payloads.add(ByteBuffer.wrap(bytes));
        }

        Path log1 = dir.resolve("first.log");
        try (Distribution.Daemon d = dist.serve(env, data, log1, tiers)) {
            assertThat(d.process.info().command().orElseThrow()).isEqualTo(java.toString());
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + d.adminPort + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body().trim()).isEqualTo("ok");
            Distribution.Result status = dist.run(env, "ctl", "--server", "127.0.0.1:" + d.port, "status");
            assertThat(status.exitCode()).as(status.output()).isZero();
            assertThat(status.output()).contains("dram");
            try (KvStoreClient kv = KvStoreClient.create(ClientOptions.of("127.0.0.1", d.port))) {
                assertThat(kv.putBlocks(ns, BlockPayload.chain(ns, tokens, payloads)).allCached()).isTrue();
                assertThat(kv.lookupPrefix(ns, tokens).hitBlocks()).isEqualTo(4);
                assertPrefix(kv, ns, tokens, payloads);
            }
        }
        String first = Files.readString(log1);
        assertThat(first).as(first).contains("dram tier: arena in " + arena).doesNotContain("Exception")
                .doesNotContain("WARNING");

        Path log2 = dir.resolve("second.log");
        try (Distribution.Daemon d = dist.serve(env, data, log2, tiers);
             KvStoreClient kv = KvStoreClient.create(ClientOptions.of("127.0.0.1", d.port))) {
            assertPrefix(kv, ns, tokens, payloads);
        }
        String second = Files.readString(log2);
        assertThat(second).as(second).contains("dram tier: arena in " + arena).contains("4 blocks found");
        System.out.println("JRE-ONLY: serve, /healthz ok, ctl status, PUT/GET of 4 blocks, warm restart with 4 "
                + "blocks found in the DRAM arena, all on a runtime without jdk.compiler");
    }

    private static void assertPrefix(KvStoreClient kv, Namespace ns, int[] tokens, List<ByteBuffer> payloads)
            throws Exception {
        int n = 0;
        try (BlockStream blocks = kv.streamPrefix(ns, tokens)) {
            while (blocks.hasNext()) {
                try (ReceivedBlock b = blocks.next()) {
                    assertThat(b.payload()).as("block %d", n).isEqualTo(payloads.get(n).duplicate().clear());
                }
                n++;
            }
        }
        assertThat(n).isEqualTo(4);
    }
}
