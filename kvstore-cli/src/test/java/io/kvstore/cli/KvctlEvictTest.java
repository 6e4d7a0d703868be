package io.kvstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.ArrayList;
import java.util.List;

import static io.kvstore.cli.KvctlTest.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code kvctl evict} by key, by namespace and --all, on a fresh daemon each time: pinned blocks stay. */
@Timeout(60)
class KvctlEvictTest {

    static final Namespace OTHER = new Namespace(NS.modelId(), NS.layout(), "globex", "", "");

    @TempDir
    Path dir;
    KvServer server;
    List<BlockKey> mine;
    List<BlockKey> theirs;

    @BeforeEach
    void start() throws Exception {
        server = TestServers.start(TestServers.config(dir));
        int[] t = DemoLoad.tokens(3, 5);
        mine = new PrefixHasher(NS).hash(t);
        theirs = new PrefixHasher(OTHER).hash(t);
        try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            c.putBlocks(NS, BlockPayload.chain(NS, t, DemoLoad.payloads(3, 5)));
            c.putBlocks(OTHER, BlockPayload.chain(OTHER, t, DemoLoad.payloads(3, 6)));
        }
    }

    @AfterEach
    void stop() {
        server.close();
    }

    KvctlTest.Run run(String... args) {
        List<String> all = new ArrayList<>(List.of("--server", "127.0.0.1:" + server.port()));
        all.addAll(List.of(args));
        all.add(0, "--admin");
        all.add(1, "127.0.0.1:" + server.adminPort());
        return KvctlTest.runRaw(all.toArray(String[]::new));
    }

    @Test
    void byKeyKeepsPinnedBlocks() throws Exception {
        assertThat(run("pin", mine.get(1).toHex()).exit()).isZero();
        KvctlTest.Run r = run("evict", mine.get(0).toHex(), mine.get(1).toHex());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern(mine.get(0).toHex() + " +EVICTED +dram")
                .containsPattern(mine.get(1).toHex() + " +PINNED +dram").contains("1 EVICTED, 1 PINNED");
        assertThat(server.store().size()).isEqualTo(5);
        KvctlTest.Run gone = run("evict", mine.get(0).toHex(), "--json");
        assertThat(gone.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(new ObjectMapper().readTree(gone.out()).get("counts").get("NOT_FOUND").asInt()).isEqualTo(1);
        JsonNode history = new ObjectMapper().readTree(run("explain", mine.get(0).toHex(), "--json").out());
        assertThat(history.get("events").get(1).get("type").asText()).isEqualTo("DELETED");
    }

    @Test
    void byNamespaceOnlyThatNamespace() throws Exception {
        KvctlTest.Run r = run("evict", "--namespace", KvctlTest.NS_SPEC, "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("counts").get("EVICTED").asInt()).isEqualTo(3);
        assertThat(j.has("results")).isFalse();
        assertThat(server.store().size()).isEqualTo(3);
        theirs.forEach(k -> assertThat(server.store().info(k)).isNotNull());
    }

    @Test
    void actionsFromANonLoopbackAddressAreRefused(@TempDir Path other) throws Exception {
        InetAddress external = nonLoopbackAddress();
        assumeTrue(external != null, "no non-loopback IPv4 address on this machine");
        try (KvServer open = TestServers.start(TestServers.config(other).assignment("adminBindAddress=0.0.0.0"))) {
            String admin = external.getHostAddress() + ":" + open.adminPort();
            KvctlTest.Run read = KvctlTest.runRaw("--admin", admin, "status");
            assertThat(read.exit()).as(read.err()).isZero();
            KvctlTest.Run act = KvctlTest.runRaw("--admin", admin, "evict", "--all", "--yes");
            assertThat(act.exit()).isEqualTo(ExitCodes.REFUSED);
            assertThat(act.err().strip()).isEqualTo("kvctl: refused by admin " + admin
                    + ": admin actions are only accepted from a loopback address");
        }
        assertThat(server.store().size()).isEqualTo(6);
    }

    static InetAddress nonLoopbackAddress() throws SocketException {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (ni.isUp() && !ni.isLoopback()) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return a;
                    }
                }
            }
        }
        return null;
    }

    @Test
    void allNeedsYes() {
        KvctlTest.Run no = run("evict", "--all");
        assertThat(no.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(no.err().strip()).isEqualTo("kvctl: evict --all removes every unpinned block of the cache; add "
                + "--yes to confirm");
        assertThat(server.store().size()).isEqualTo(6);
        assertThat(run("evict", "--all", "--namespace", NS.idHex(), "--yes").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("pin", theirs.get(2).toHex()).exit()).isZero();
        KvctlTest.Run yes = run("evict", "--all", "--yes");
        assertThat(yes.exit()).as(yes.err()).isZero();
        assertThat(yes.out().strip()).isEqualTo("5 EVICTED, 1 PINNED");
        assertThat(server.store().size()).isEqualTo(1);
    }
}
