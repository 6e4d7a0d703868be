package io.kvstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every kvctl subcommand, human and --json, against a real daemon on loopback ports holding the known blocks of
 * {@link DemoLoad}: a 1 MiB DRAM tier over a 1.07 MiB NVMe tier, 256 KiB blocks, so that chain A (4 blocks) is
 * demoted to NVMe by chain B (8 blocks) and then evicted from it; B ends with blocks 0-3 in NVMe and 4-7 in DRAM.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KvctlTest {

    static final String NS_SPEC = DemoLoad.NS_SPEC;
    static final Namespace NS = DemoLoad.NS;

    Path dir;
    KvServer server;
    List<BlockKey> chainA;
    List<BlockKey> chainB;
    Path tokensB;
    final ObjectMapper json = new ObjectMapper();

    record Run(int exit, String out, String err) {
    }

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        dir = tmp;
        server = TestServers.start(TestServers.config(dir.resolve("data")).assignment("dramCapacityBytes=1MiB")
                .assignment("nvmeCapacityBytes=1100KiB") // 4 blocks plus the NVMe record headers
                .assignment("dramPolicy=lru").assignment("nvmePolicy=lru") // outputs below name the policy
                .assignment("putBlocksInFlight=1") // every figure below depends on the order blocks were placed
                .assignment("demotionThreads=0")); // and on where, the moment each PUT returns
        DemoLoad.Loaded loaded = DemoLoad.load("127.0.0.1", server.port());
        chainA = loaded.chainA();
        chainB = loaded.chainB();
        tokensB = dir.resolve("b.tokens");
        DemoLoad.writeTokens(loaded.tokensB(), tokensB);
    }

    @AfterAll
    void stop() {
        server.close();
    }

    Run run(String... args) {
        List<String> all = new ArrayList<>(List.of("--server", "127.0.0.1:" + server.port(),
                "--admin", "127.0.0.1:" + server.adminPort()));
        all.addAll(List.of(args));
        return runRaw(all.toArray(String[]::new));
    }

    static Run runRaw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = KvctlMain.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    JsonNode runJson(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--json");
        Run r = run(all.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        return json.readTree(r.out());
    }

    @Test
    void status() throws Exception {
        Run r = run("status");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("kvstore ").contains("up ").contains("8 blocks cached")
                .containsPattern("TIER +POLICY +CAPACITY +USED +USE% +BLOCKS +HITS +HIT%")
                .containsPattern("dram +lru +1\\.00 MiB +1\\.00 MiB +100\\.0% +4 +5 ")
                .containsPattern("nvme +lru +1\\.07 MiB +1\\.02 MiB +94\\.5% +4 ");
        JsonNode j = runJson("status");
        assertThat(j.get("blocks").asInt()).isEqualTo(8);
        assertThat(j.get("version").asText()).isNotBlank();
        assertThat(j.get("tiers").get(0).get("tier").get("name").asText()).isEqualTo("dram");
        assertThat(j.get("tiers").get(1).get("evicted").asLong()).isEqualTo(4);
    }

    @Test
    void top() throws Exception {
        Run r = run("top", "--count", "2", "--interval", "100ms");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().split("TIER +HITS/S", -1)).hasSize(3); // two refreshes
        assertThat(r.out()).contains("hit ratio").containsPattern("dram +0\\.0/s +0 B/s +0 B/s");
        Run j = run("top", "--count", "2", "--interval", "100ms", "--json");
        assertThat(j.exit()).as(j.err()).isZero();
        String[] lines = j.out().strip().split("\n");
        assertThat(lines).hasSize(2);
        for (String line : lines) {
            JsonNode n = json.readTree(line);
            assertThat(n.get("tiers")).hasSize(2);
            assertThat(n.get("tiers").get(0).get("hitsPerSecond").asDouble()).isZero();
            assertThat(n.get("seconds").asDouble()).isGreaterThan(0.05);
        }
    }

    @Test
    void lookup() throws Exception {
        Run r = run("lookup", "--namespace", NS_SPEC, "--tokens", tokensB.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("namespace " + NS.idHex()).contains("144 tokens = 9 full blocks")
                .contains("cached prefix: 8 of 9 blocks = 128 tokens")
                .containsPattern("0 +0-15 +" + chainB.get(0).toHex() + " +nvme")
                .containsPattern("7 +112-127 +" + chainB.get(7).toHex() + " +dram")
                .containsPattern("8 +128-143 +" + chainB.get(8).toHex() + " +miss");
        JsonNode j = runJson("lookup", "--namespace", NS_SPEC, "--tokens", tokensB.toString());
        assertThat(j.get("hitBlocks").asInt()).isEqualTo(8);
        assertThat(j.get("cachedTokens").asInt()).isEqualTo(128);
        assertThat(j.get("blocks").get(3).get("tier").asText()).isEqualTo("nvme");
        assertThat(j.get("blocks").get(4).get("tier").asText()).isEqualTo("dram");
        assertThat(j.get("blocks").get(8).get("tier").isNull()).isTrue();

        Path jsonTokens = dir.resolve("a.json");
        Files.writeString(jsonTokens, Arrays.toString(DemoLoad.tokens(4, 1)));
        JsonNode a = runJson("lookup", "--namespace", NS_SPEC, "--tokens", jsonTokens.toString());
        assertThat(a.get("fullBlocks").asInt()).isEqualTo(4);
        assertThat(a.get("hitBlocks").asInt()).isZero(); // chain A was evicted

        Run idOnly = run("lookup", "--namespace", NS.idHex(), "--tokens", tokensB.toString());
        assertThat(idOnly.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(idOnly.err()).contains("needs the full namespace");
    }

    @Test
    void blocks() throws Exception {
        Run r = run("blocks", "--tier", "dram", "--sort", "hits", "--limit", "2");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("KEY +PARENT +POS +SIZE +TIER +LAST ACCESS +HITS +PINS +NAMESPACE")
                .containsPattern(chainB.get(7).toHex() + " +" + chainB.get(6).toHex().substring(0, 16)
                        + "\\.\\. +7 +256\\.0 KiB +dram +.* ago +2 +- +" + NS.idHex())
                .contains("2 of 4 matching blocks, by hits");
        JsonNode j = runJson("blocks", "--namespace", NS_SPEC, "--sort", "recent", "--limit", "100");
        assertThat(j.get("total").asInt()).isEqualTo(8);
        assertThat(j.get("blocks")).hasSize(8);
        assertThat(j.get("blocks").get(0).get("key").asText()).isEqualTo(chainB.get(7).toHex()); // read last
        JsonNode nvme = runJson("blocks", "--tier", "nvme", "--sort", "size");
        assertThat(nvme.get("total").asInt()).isEqualTo(4);
        nvme.get("blocks").forEach(b -> assertThat(b.get("tier").asText()).isEqualTo("nvme"));
        Run bad = run("blocks", "--sort", "color");
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err().strip()).isEqualTo("kvctl: sort must be recent, size or hits, was 'color'");
    }

    @Test
    void explainShowsDemotionAndEvictionWithThePolicy() throws Exception {
        String a0 = chainA.get(0).toHex();
        Run r = run("explain", a0);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("block " + a0).contains("now: not cached")
                .containsPattern("ago +ADMITTED +dram +lru +stored by a PUT")
                .containsPattern("ago +DEMOTED +dram -> nvme +lru +victim of lru when dram passed its high watermark")
                .containsPattern("ago +EVICTED +nvme +lru +victim of lru when nvme passed its high watermark; nvme is "
                        + "the last tier");
        JsonNode j = runJson("explain", a0);
        assertThat(j.get("cached").asBoolean()).isFalse();
        List<String> types = new ArrayList<>();
        j.get("events").forEach(e -> types.add(e.get("type").asText() + "/" + e.get("policy").asText()));
        assertThat(types).containsExactly("ADMITTED/lru", "DEMOTED/lru", "EVICTED/lru");

        JsonNode cached = runJson("explain", chainB.get(7).toHex());
        assertThat(cached.get("cached").asBoolean()).isTrue();
        assertThat(cached.get("block").get("tier").asText()).isEqualTo("dram");
        assertThat(cached.get("hits").asInt()).isEqualTo(2);

        Run unknown = run("explain", BlockKey.synthetic(7, 7).toHex());
        assertThat(unknown.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(unknown.err().strip()).contains("is not cached and has no remembered history").doesNotContain("\n");
        assertThat(run("explain", "xyz").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void pinUnpinAndTimedPin() throws Exception {
        String b0 = chainB.get(0).toHex();
        Run r = run("pin", b0, BlockKey.synthetic(5, 5).toHex());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern(b0 + " +PINNED +nvme").contains("NOT_FOUND")
                .contains("1 PINNED, 1 NOT_FOUND");
        assertThat(runJson("blocks", "--tier", "nvme", "--limit", "10").findValues("pins").stream()
                .mapToInt(JsonNode::asInt).sum()).isEqualTo(1);
        JsonNode un = runJson("unpin", b0);
        assertThat(un.get("counts").get("UNPINNED").asInt()).isEqualTo(1);
        Run again = run("unpin", b0);
        assertThat(again.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(again.out()).contains("NOT_PINNED");

        JsonNode timed = runJson("pin", "--namespace", NS_SPEC, "--tokens", tokensB.toString(), "--ttl", "300ms");
        assertThat(timed.get("counts").get("PINNED").asInt()).isEqualTo(8);
        assertThat(timed.get("counts").get("NOT_FOUND").asInt()).isEqualTo(1);
        await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(runJson("blocks", "--limit", "100").findValues("pins").stream()
                        .mapToInt(JsonNode::asInt).sum()).isZero());
        assertThat(run("pin").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("pin", "--tokens", tokensB.toString()).err()).contains("needs --namespace");
    }

    @Test
    void health() throws Exception {
        Run r = run("health");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("admin +127\\.0\\.0\\.1:" + server.adminPort() + " +ok")
                .containsPattern("data +127\\.0\\.0\\.1:" + server.port() + " +ok +[0-9.]+ ms +HELLO and PING");
        JsonNode j = runJson("health");
        assertThat(j.get("healthy").asBoolean()).isTrue();
        assertThat(j.get("checks")).hasSize(2);
    }

    @Test
    void healthOverTheDataSocketAndAMissingSocketIsOneLineAndExit3(@TempDir Path other) throws Exception {
        Path sock = other.resolve("kv.sock");
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (KvServer s = TestServers.start(TestServers.config(other).assignment("dataSocket=" + sock))) {
            // the data port given is closed: the data check passes over the socket, the admin port comes from HELLO
            Run r = runRaw("--server", "127.0.0.1:" + closed, "--socket", sock.toString(), "health");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).containsPattern("data +unix:" + sock + " +ok +[0-9.]+ ms +HELLO and PING")
                    .containsPattern("admin +127\\.0\\.0\\.1:" + s.adminPort() + " +ok");
        }
        Run gone = runRaw("--socket", sock.toString(), "--admin", "127.0.0.1:" + closed, "--timeout", "2s", "health");
        assertThat(gone.exit()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(gone.err().strip()).startsWith("kvctl: ").doesNotContain("\n");
        Run status = runRaw("--socket", sock.toString(), "--admin", "127.0.0.1:" + closed, "--timeout", "2s",
                "lookup", "--namespace", NS_SPEC, "--tokens", tokensB.toString());
        assertThat(status.exit()).as(status.err()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(status.err().strip()).startsWith("kvctl: ").contains("unix:" + sock).doesNotContain("\n");
    }

    @Test
    void completionAndHelpOnEveryCommand() {
        Run c = run("completion");
        assertThat(c.exit()).isZero();
        assertThat(c.out()).contains("complete -F").contains("explain").contains("--namespace");
        for (String cmd : List.of("status", "top", "lookup", "blocks", "explain", "pin", "unpin", "evict", "health",
                "completion")) {
            Run h = runRaw(cmd, "--help");
            assertThat(h.exit()).as(cmd).isZero();
            assertThat(h.out()).as(cmd).contains("Usage: kvctl " + cmd).contains("--json").contains("--server")
                    .contains("Exit codes:").contains("3   server unreachable");
        }
        Run top = runRaw("--help");
        assertThat(top.out()).contains("status").contains("KVSTORE_SERVER");
        assertThat(runRaw("nonsense").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void unreachableServerIsOneLineAndExit3() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        for (String cmd : List.of("status", "blocks", "explain " + chainA.get(0).toHex(), "health",
                "lookup --namespace " + NS_SPEC + " --tokens " + tokensB, "pin " + chainA.get(0).toHex())) {
            List<String> args = new ArrayList<>(List.of("--server", "127.0.0.1:" + closed, "--timeout", "2s"));
            args.addAll(List.of(cmd.split(" ")));
            Run r = runRaw(args.toArray(String[]::new));
            assertThat(r.exit()).as(cmd).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(r.out()).as(cmd).isEmpty();
            assertThat(r.err().strip()).as(cmd).startsWith("kvctl: ").contains("127.0.0.1:")
                    .doesNotContain("\n").doesNotContain("Exception");
        }
        Run verbose = runRaw("--server", "127.0.0.1:" + closed, "status", "--verbose");
        assertThat(verbose.exit()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(verbose.err()).contains("ConnectException");
        Run badHost = runRaw("--server", "no-such-host.invalid:7379", "status");
        assertThat(badHost.exit()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(badHost.err().strip()).contains("unknown host").doesNotContain("\n");
        Run notAdmin = runRaw("--admin", "127.0.0.1:" + server.port(), "--timeout", "2s", "status");
        assertThat(notAdmin.exit()).as(notAdmin.err()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(notAdmin.err().strip()).doesNotContain("\n");
        assertThat(runRaw("--server", "localhost:notaport", "status").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void refusedTokenIsOneLineAndExit4(@TempDir Path other) throws Exception {
        try (KvServer s = TestServers.start(TestServers.config(other)
                .assignment("authTokens=engine-token=acme,admin-token=*"))) {
            String[] base = {"--server", "127.0.0.1:" + s.port(), "--admin", "127.0.0.1:" + s.adminPort()};
            Run lookup = runRaw(concat(base, "--token", "wrong", "lookup", "--namespace", NS_SPEC, "--tokens",
                    tokensB.toString()));
            assertThat(lookup.exit()).as(lookup.err()).isEqualTo(ExitCodes.REFUSED);
            assertThat(lookup.err().strip()).startsWith("kvctl: refused by").contains("AUTH_FAILED")
                    .doesNotContain("\n");
            Run ok = runRaw(concat(base, "--token", "engine-token", "lookup", "--namespace", NS_SPEC, "--tokens",
                    tokensB.toString()));
            assertThat(ok.exit()).as(ok.err()).isZero();
            String key = chainB.get(0).toHex();
            Run noToken = runRaw(concat(base, "evict", key));
            assertThat(noToken.exit()).isEqualTo(ExitCodes.REFUSED);
            assertThat(noToken.err().strip()).contains("requires an admin token").doesNotContain("\n");
            Run engine = runRaw(concat(base, "--token", "engine-token", "pin", key));
            assertThat(engine.exit()).isEqualTo(ExitCodes.REFUSED);
            assertThat(engine.err()).contains("not an admin token");
            Run admin = runRaw(concat(base, "--token", "admin-token", "pin", key));
            assertThat(admin.exit()).isEqualTo(ExitCodes.NOT_FOUND); // accepted; nothing cached on this server
            assertThat(admin.out()).contains("NOT_FOUND");
            Run health = runRaw(concat(base, "--token", "wrong", "health"));
            assertThat(health.exit()).isEqualTo(ExitCodes.NOT_FOUND);
            assertThat(health.out()).containsPattern("data .* FAIL .*AUTH_FAILED");
        }
    }

    @Test
    void theAdminPortComesFromHelloAndHealthTakesAnyValidToken(@TempDir Path other) throws Exception {
        try (KvServer s = TestServers.start(TestServers.config(other)
                .assignment("authTokens=engine-token=acme,admin-token=*"))) {
            assertThat(s.adminPort()).isNotEqualTo(s.port() + 1); // port 0: the guess would be wrong
            String[] base = {"--server", "127.0.0.1:" + s.port()};
            Run status = runRaw(concat(base, "--token", "admin-token", "status"));
            assertThat(status.exit()).as(status.err()).isZero();
            assertThat(status.out()).contains("admin 127.0.0.1:" + s.adminPort());
            Run health = runRaw(concat(base, "--admin", "127.0.0.1:" + s.adminPort(), "--token", "engine-token",
                    "health"));
            assertThat(health.exit()).as(health.out() + health.err()).isZero();
            assertThat(health.out()).containsPattern("data .* ok .*token accepted");
        }
        Run version = runRaw("--version");
        assertThat(version.out().strip()).matches("kvctl \\d+\\.\\d+\\.\\d+.*").doesNotContain("development");
        assertThat(runRaw("status", "--help").err()).doesNotContain("WARN");
    }

    static String[] concat(String[] a, String... b) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(b));
        return l.toArray(String[]::new);
    }
}
