package io.kvstore.reliability;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.protocol.body.PutCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.kvstore.reliability.Fixtures.ACME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The data socket ({@code dataSocket}) of real daemons (child JVMs): a socket file left by a daemon killed with
 * SIGKILL is replaced by the next one; a second daemon on the path of a live one stops with one line and exit code
 * 2 and leaves the first one's socket alone; a path that cannot work (too long, no such directory) stops with one
 * line and exit code 2. Five daemon starts.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UnixSocketDaemonTest {

    @TempDir
    Path dir;

    private List<String> settings(Path socket) {
        return List.of("hbmCapacityBytes=0", "dramCapacityBytes=32MiB", "dramPersist=false",
                "nvmeCapacityBytes=64MiB", "dataSocket=" + socket);
    }

    private static KvStoreClient client(Path socket) {
        return KvStoreClient.create(ClientOptions.unix(socket).withRequestTimeout(Duration.ofSeconds(10)));
    }

    @Test
    void aStaleSocketLeftByAKilledDaemonIsReplaced() throws Exception {
        Path sock = dir.resolve("kv.sock");
        int[] tokens = new int[4 * 16];
        java.util.Arrays.setAll(tokens, i -> i * 7 + 1);
        try (Daemon first = Daemon.start(dir.resolve("data"), dir.resolve("first.log"), settings(sock));
             KvStoreClient c = client(sock)) {
            List<ByteBuffer> payloads = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                payloads.add(ByteBuffer.wrap(new byte[16 << 10]));
            }
            assertThat(c.putBlocks(ACME, BlockPayload.chain(ACME, tokens, payloads)).statuses())
                    .containsOnly(PutCode.STORED);
            first.kill(); // SIGKILL: no shutdown hook removes the socket file
        }
        assertThat(Files.exists(sock, LinkOption.NOFOLLOW_LINKS)).as("the killed daemon's socket file").isTrue();
        try (Daemon second = Daemon.start(dir.resolve("data"), dir.resolve("second.log"), settings(sock));
             KvStoreClient c = client(sock)) {
            assertThat(Files.readString(second.log)).contains("replaced the stale socket file " + sock)
                    .contains("socket unix:" + sock);
            assertThat(c.lookup(ACME, new PrefixHasher(ACME).hash(tokens)).keys()).hasSize(4);
            second.stop();
            assertThat(second.process.exitValue()).isIn(0, 143);
        }
        assertThat(sock).as("removed at a clean stop").doesNotExist();
    }

    @Test
    void aSecondDaemonOnTheSameSocketStopsWithOneLineAndTheFirstKeepsServing() throws Exception {
        Path sock = dir.resolve("kv.sock");
        try (Daemon first = Daemon.start(dir.resolve("a"), dir.resolve("a.log"), settings(sock));
             KvStoreClient c = client(sock)) {
            IllegalStateException second = assertThrows(IllegalStateException.class,
                    () -> Daemon.start(dir.resolve("b"), dir.resolve("b.log"), settings(sock)));
            assertOneLine(second, "kvstore serve: dataSocket: " + sock + " is already in use");
            assertThat(c.pingAsync(ACME).get(10, TimeUnit.SECONDS)).as("the first daemon still answers")
                    .isPositive();
        }
    }

    @Test
    void aSocketPathThatCannotWorkStopsWithOneLine() {
        Path tooLong = dir.resolve("x".repeat(120) + ".sock");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Daemon.start(dir.resolve("c"), dir.resolve("c.log"), settings(tooLong)));
        assertOneLine(e, "a Unix socket address holds; choose a shorter path");
        Path noDir = dir.resolve("missing").resolve("kv.sock");
        e = assertThrows(IllegalStateException.class,
                () -> Daemon.start(dir.resolve("d"), dir.resolve("d.log"), settings(noDir)));
        assertOneLine(e, "kvstore serve: dataSocket: the directory of " + noDir + " does not exist; create it");
    }

    /** The daemon exited with 2 and printed one line holding {@code text}, no stack trace. */
    private static void assertOneLine(IllegalStateException e, String text) {
        String msg = e.getMessage();
        assertThat(msg).startsWith("daemon exited with 2:").doesNotContain("\tat ").doesNotContain("Exception");
        List<String> lines = msg.substring(msg.indexOf('\n') + 1).lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).as(msg).hasSize(1);
        assertThat(lines.get(0)).contains(text);
    }
}
