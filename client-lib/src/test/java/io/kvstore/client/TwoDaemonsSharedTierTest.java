package io.kvstore.client;

import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import io.kvstore.tier.remote.LocalRedisCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Map;
import java.nio.file.Path;
import java.util.List;

import static io.kvstore.client.ClientServerTest.NS;
import static io.kvstore.client.ClientServerTest.payloads;
import static io.kvstore.client.ClientServerTest.tokens;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two daemons, each with its own local tiers, sharing one real Redis Cluster (3 masters + 3 replicas on
 * loopback) as their last tier: a prefix stored through daemon A is found and streamed byte-identical through
 * daemon B, whether it reached the cluster by write-back (A's DRAM evicted it) or by write-through.
 */
@Timeout(120)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoDaemonsSharedTierTest {

    static LocalRedisCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalRedisCluster.start(3, "256mb", "allkeys-lru");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static KvServer daemon(Path dir, String dram, int writeThroughBlocks) throws Exception {
        return daemon(dir, dram, writeThroughBlocks, "e2e" + writeThroughBlocks, 1000);
    }

    static KvServer daemon(Path dir, String dram, int writeThroughBlocks, String prefix, int timeoutMillis)
            throws Exception {
        return TestServers.start(TestServers.config(dir).assignment("dramCapacityBytes=" + dram)
                .assignment("dramPolicy=lru") // the test reasons about which blocks A's DRAM demotes
                .assignment("nvmeCapacityBytes=0")
                .assignment("remoteSeeds=" + String.join(",", cluster.seeds()))
                .assignment("remoteKeyPrefix=" + prefix)
                .assignment("remoteTimeoutMillis=" + timeoutMillis)
                .assignment("remoteWriteThroughBlocks=" + writeThroughBlocks));
    }

    @Test
    void prefixDemotedByDaemonAIsStreamedByteIdenticalThroughDaemonB(@TempDir Path a, @TempDir Path b)
            throws Exception {
        try (KvServer serverA = daemon(a, "1MiB", 0); KvServer serverB = daemon(b, "8MiB", 0);
             KvStoreClient clientA = KvStoreClient.create(ClientOptions.of("127.0.0.1", serverA.port()));
             KvStoreClient clientB = KvStoreClient.create(ClientOptions.of("127.0.0.1", serverB.port()))) {
            assertThat(serverA.store().tierNames()).containsExactly("dram", "remote");
            int[] tokens = tokens(16, 11);
            List<ByteBuffer> payloads = payloads(16, 11); // 16 x 64 KiB = A's whole DRAM
            assertThat(clientA.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads)).statuses())
                    .containsOnly(PutCode.STORED);
            // a second, bigger chain pushes the first out of A's DRAM: write-back demotes it into the cluster
            int[] other = tokens(32, 12);
            clientA.putBlocks(NS, BlockPayload.chain(NS, other, payloads(32, 12)));
            assertThat(clientA.lookupPrefix(NS, tokens).tiers()).contains("remote");

            PrefixLookup atB = clientB.lookupPrefix(NS, tokens);
            assertThat(atB.hitBlocks()).isEqualTo(16);
            assertThat(atB.tiers()).containsOnly("remote");
            streamsByteIdentical(clientB, tokens, payloads);
            // B promoted its copies into its own DRAM; the blocks stay in the cluster for everybody
            assertThat(clientB.lookupPrefix(NS, tokens).tiers()).containsOnly("dram");
            assertThat(clientA.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(16);
        }
        assertThat(RefCountedHandle.leaks()).isZero();
    }

    @Test
    void prefixWrittenThroughByDaemonAIsStreamedByteIdenticalThroughDaemonB(@TempDir Path a, @TempDir Path b)
            throws Exception {
        try (KvServer serverA = daemon(a, "64MiB", 1_000); KvServer serverB = daemon(b, "64MiB", 1_000);
             KvStoreClient clientA = KvStoreClient.create(ClientOptions.of("127.0.0.1", serverA.port()));
             KvStoreClient clientB = KvStoreClient.create(ClientOptions.of("127.0.0.1", serverB.port()))) {
            int[] tokens = tokens(24, 21);
            List<ByteBuffer> payloads = payloads(24, 21);
            assertThat(clientA.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads)).statuses())
                    .containsOnly(PutCode.STORED);
            assertThat(clientA.lookupPrefix(NS, tokens).tiers()).containsOnly("dram"); // A keeps its copy
            long deadline = System.nanoTime() + 10_000_000_000L; // the copy to the cluster is asynchronous
            int found = 0;
            while (found < 24 && System.nanoTime() < deadline) {
                found = clientB.lookupPrefix(NS, tokens).hitBlocks();
                if (found < 24) {
                    Thread.sleep(20);
                }
            }
            assertThat(found).isEqualTo(24);
            System.out.printf("write-through: all 24 blocks found at B after %d ms%n",
                    (System.nanoTime() - deadline + 10_000_000_000L) / 1_000_000);
            streamsByteIdentical(clientB, tokens, payloads);
            System.out.printf("write-through: streamed at %d ms%n",
                    (System.nanoTime() - deadline + 10_000_000_000L) / 1_000_000);
        }
        assertThat(RefCountedHandle.leaks()).isZero();
    }

    /**
     * Kill-a-master end to end: daemon B streams a prefix whose block {@code i} lives on a shard whose master is
     * killed; the stream ends cleanly after the {@code i} blocks before it (a miss, no error), the breaker opens and
     * is counted, and once the replica is promoted B finds and streams the whole prefix again. Runs last: it leaves
     * the cluster with one master fewer (its replica promoted).
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void killingAMasterDuringAStreamThroughADaemonIsAMissThenHitsResume(@TempDir Path a, @TempDir Path b)
            throws Exception {
        try (KvServer serverA = daemon(a, "64MiB", 1_000, "failover", 200);
             KvServer serverB = daemon(b, "64MiB", 0, "failover", 200);
             KvStoreClient clientA = KvStoreClient.create(ClientOptions.of("127.0.0.1", serverA.port()));
             KvStoreClient clientB = KvStoreClient.create(ClientOptions.of("127.0.0.1", serverB.port()))) {
            int[] tokens = tokens(48, 31);
            List<ByteBuffer> payloads = payloads(48, 31);
            clientA.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
            long until = System.nanoTime() + 10_000_000_000L;
            while (clientB.lookupPrefix(NS, tokens).hitBlocks() < 48 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertThat(clientB.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(48);
            cluster.awaitHealthy(10_000); // replicas in sync before the crash

            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            int first = masterPort(keys.get(0));
            int lost = 1;
            while (masterPort(keys.get(lost)) == first) {
                lost++;
            }
            LocalRedisCluster.Node victim = cluster.masterOfSlot(slot(keys.get(lost)));
            cluster.kill(victim);

            int streamed = 0;
            try (BlockStream s = clientB.streamPrefix(NS, tokens)) {
                while (s.hasNext()) {
                    try (ReceivedBlock blk = s.next()) {
                        assertThat(blk.payload()).isEqualTo(payloads.get(streamed).duplicate());
                    }
                    streamed++;
                }
            }
            // the prefix ends at the latest at the first block of the dead shard: a miss, not an error (reads of
            // live shards right after the kill may also time out while the client reconnects: also misses)
            assertThat(streamed).isLessThanOrEqualTo(lost);
            boolean degradedSeen = false;
            long killed = System.nanoTime();
            int found = 0;
            until = System.nanoTime() + 30_000_000_000L;
            while (found < 48 && System.nanoTime() < until) {
                found = clientB.lookupPrefix(NS, tokens).hitBlocks();
                degradedSeen |= health(serverB).startsWith("degraded");
                Thread.sleep(20);
            }
            System.out.printf("kill-a-master via daemon: streamed %d of 48 blocks after the kill (block %d on the "
                            + "dead shard), /healthz degraded seen: %s, all 48 found again %d ms after the kill%n",
                    streamed, lost, degradedSeen, (System.nanoTime() - killed) / 1_000_000);
            assertThat(found).isEqualTo(48); // failover: the replica serves the shard's blocks
            Map<String, Long> details = serverB.store().stats().get(1).tier().details();
            assertThat(details.get("breaker_opened_total") + details.get("timeouts_total")
                    + details.get("errors_total")).isPositive();
            streamsByteIdentical(clientB, tokens, payloads);
        }
        assertThat(RefCountedHandle.leaks()).isZero();
    }

    private static int slot(BlockKey key) {
        return SlotHash.getSlot("failover:{" + key.toHex() + "}:meta");
    }

    private static int masterPort(BlockKey key) throws Exception {
        return cluster.masterOfSlot(slot(key)).port();
    }

    private static String health(KvServer s) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + s.adminPort() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200); // degraded, never failed
        return r.body();
    }

    private static void streamsByteIdentical(KvStoreClient client, int[] tokens, List<ByteBuffer> payloads) {
        List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
        try (BlockStream s = client.streamPrefix(NS, tokens)) {
            int i = 0;
            while (s.hasNext()) {
                try (ReceivedBlock blk = s.next()) {
                    assertThat(blk.meta().key()).isEqualTo(keys.get(i));
                    assertThat(blk.payload()).isEqualTo(payloads.get(i).duplicate());
                }
                i++;
            }
            assertThat(i).isEqualTo(payloads.size());
        }
    }
}
