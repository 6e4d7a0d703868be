package io.kvstore.dist;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.BlockStream;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import org.junit.jupiter.api.BeforeAll;
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
 * The Java runtime the tarball carries ({@code runtime/}, made by jlink at package time with the compiler Chronicle
 * Map needs): with {@code JAVA} unset, {@code bin/kvstore serve} runs on it, answers {@code /healthz}, takes a PUT,
 * serves it back and, restarted, serves it again from the DRAM arena's files (the warm restart). A runtime without
 * the compiler (a plain JRE, made here with jlink) given as {@code JAVA} gets one line naming the fix, exit 2; kvctl,
 * which needs no compiler, runs on it.
 */
@Timeout(400)
class BundledRuntimeTest {

    /** A JRE's modules: no jdk.compiler. */
    static final String JRE_MODULES = "java.se,jdk.unsupported,jdk.management,jdk.httpserver,jdk.jfr,jdk.crypto.ec,"
            + "jdk.zipfs,jdk.net,jdk.naming.dns";
    /** JAVA unset: the launcher picks the bundled runtime. */
    static final Map<String, String> BUNDLED = Map.of("JAVA", "");

    @TempDir
    static Path dir;

    static Distribution dist;

    @BeforeAll
    static void unpack() throws Exception {
        dist = Distribution.unpack(dir);
    }

    @Test
    void theDaemonServesStoresAndRestartsWarmOnTheBundledRuntime() throws Exception {
        Path java = dist.home.resolve("runtime/bin/java");
        assertThat(Files.isExecutable(java)).as("runtime/bin/java is executable").isTrue();
        assertThat(Files.isExecutable(dist.home.resolve("runtime/bin/javac"))).as("it has the compiler").isTrue();
        Path data = dir.resolve("data");
        Path arena = dir.resolve("arena");
        String[] tiers = {"--set", "hbmCapacityBytes=0", "--set", "dramCapacityBytes=32MiB", "--set",
            "dramPersistDir=" + arena, "--set", "nvmeCapacityBytes=64MiB"};
        Namespace ns = new Namespace("bundled-runtime", new KvLayout("bf16", 2, 2, 64, 16), "", "", "");
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
        try (Distribution.Daemon d = dist.serve(BUNDLED, data, log1, tiers)) {
            assertThat(d.process.info().command().orElseThrow()).isEqualTo(java.toString());
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + d.adminPort + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body().trim()).isEqualTo("ok");
            try (KvStoreClient kv = KvStoreClient.create(ClientOptions.of("127.0.0.1", d.port))) {
                assertThat(kv.putBlocks(ns, BlockPayload.chain(ns, tokens, payloads)).allCached()).isTrue();
                assertThat(kv.lookupPrefix(ns, tokens).hitBlocks()).isEqualTo(4);
                assertPrefix(kv, ns, tokens, payloads);
            }
        }
        assertThat(Files.readString(log1)).as(Files.readString(log1)).contains("dram tier: arena in " + arena)
                .doesNotContain("Exception");

        Path log2 = dir.resolve("second.log");
        try (Distribution.Daemon d = dist.serve(BUNDLED, data, log2, tiers);
             KvStoreClient kv = KvStoreClient.create(ClientOptions.of("127.0.0.1", d.port))) {
            assertPrefix(kv, ns, tokens, payloads);
        }
        assertThat(Files.readString(log2)).as(Files.readString(log2)).contains("4 blocks found");
    }

    @Test
    void aRuntimeWithoutTheCompilerGetsOneLineNamingTheFix() throws Exception {
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        assumeTrue(Files.isExecutable(jlink), "making the JRE needs jlink (the tests run on a JDK)");
        Path jre = dir.resolve("jre");
        Process link = new ProcessBuilder(jlink.toString(), "--add-modules", JRE_MODULES, "--no-header-files",
                "--no-man-pages", "--output", jre.toString()).redirectErrorStream(true).start();
        String linkOut = new String(link.getInputStream().readAllBytes());
        assertThat(link.waitFor(300, TimeUnit.SECONDS)).as("jlink ended").isTrue();
        assertThat(link.exitValue()).as(linkOut).isZero();
        Map<String, String> env = Map.of("JAVA", jre.resolve("bin/java").toString());

        Distribution.Result r = dist.run(env, "serve", "--data-dir", dir.resolve("jre-data").toString(), "--port",
                "0", "--admin-port", "0");
        System.out.printf("operator mistake 'JAVA is a JRE': exit %d in %d ms: %s%n", r.exitCode(), r.millis(),
                r.output().trim());
        assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
        assertThat(r.lines()).as(r.output()).hasSize(1);
        assertThat(r.output()).contains("without the compiler (module jdk.compiler)")
                .contains("unset JAVA to use the runtime in " + dist.home + "/runtime")
                .contains("point JAVA at a JDK 17 or later").doesNotContain("Exception");
        assertThat(r.millis()).as("took " + r.millis() + " ms").isLessThan(15_000);

        try (Distribution.Daemon d = dist.serve(BUNDLED, dir.resolve("data-ctl"), dir.resolve("ctl.log"), "--set",
                "hbmCapacityBytes=0", "--set", "dramCapacityBytes=32MiB", "--set", "dramPersist=false", "--set",
                "nvmeCapacityBytes=64MiB")) {
            Distribution.Result status = dist.run(env, "ctl", "--server", "127.0.0.1:" + d.port, "status");
            assertThat(status.exitCode()).as(status.output()).isZero();
            assertThat(status.output()).contains("dram");
        }
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
