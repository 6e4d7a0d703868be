package io.kvstore.server.tier;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.testing.Blocks;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon's {@code nvmeIndexOnly} setting: on its default a block whose only copy is on NVMe has no engine entry
 * (the NVMe tier's index records it), also after a restart, and is still found, read and counted; the gauges
 * {@code kvstore_blocks} and {@code kvstore_directory_entries} say so. With {@code nvmeIndexOnly=false} every block
 * keeps its entry.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NvmeIndexOnlyTest {

    static final int BLOCK = 256 << 10;
    static final int N = 40;

    @TempDir
    Path dir;

    private KvServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private KvServer start(String... settings) throws Exception {
        var config = TestServers.config(dir).assignment("dramCapacityBytes=2MiB");
        for (String s : settings) {
            config.assignment(s);
        }
        return TestServers.start(config);
    }

    private static List<BlockKey> keys() {
        List<BlockKey> out = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            out.add(Blocks.key(i));
        }
        return out;
    }

    private static void fill(TieredStore store) {
        for (int i = 0; i < N; i++) {
            assertThat(store.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK)).status()).isEqualTo(PutStatus.STORED);
        }
        store.drain("dram");
    }

    /**
     * Waits until the store has {@code entries} directory entries: the demotion threads may still be moving blocks
     * when drain returns, and an entry its move could not forget goes with the sweeper's next pass once idle a second.
     */
    private static void awaitEntries(TieredStore store, int entries) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (store.entries() != entries && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(store.entries()).isEqualTo(entries);
    }

    private String metrics() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.adminPort() + "/metrics")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void byDefaultBlocksOnlyOnNvmeHaveNoEntryAndAreStillServedAlsoAfterARestart() throws Exception {
        server = start();
        fill(server.store());
        awaitEntries(server.store(), 0);
        assertThat(server.store().size()).isEqualTo(N);
        assertThat(metrics()).contains("kvstore_blocks " + N + ".0").contains("kvstore_directory_entries 0.0");
        server.close();

        server = start();
        TieredStore store = server.store();
        assertThat(store.entries()).as("a reopened daemon builds no entry for them").isZero();
        assertThat(store.size()).isEqualTo(N);
        assertThat(store.lookup(Blocks.NS, keys(), 0).hitBlocks()).isEqualTo(N);
        GetResult r = store.get(Blocks.NS, Blocks.key(N - 1));
        assertThat(r.isHit()).isTrue();
        try (BlockHandle h = r.handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(N - 1, BLOCK));
        }
    }

    @Test
    void withNvmeIndexOnlyFalseEveryBlockKeepsItsEntry() throws Exception {
        server = start("nvmeIndexOnly=false");
        fill(server.store());
        assertThat(server.store().entries()).isEqualTo(N);
        assertThat(server.store().size()).isEqualTo(N);
        assertThat(metrics()).contains("kvstore_directory_entries " + N + ".0");
    }
}
