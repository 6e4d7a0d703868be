package io.kvstore.client;

import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.store.PutStatus;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import io.kvstore.tier.remote.LocalRedisCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
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
        // lru: the default policy sizes its sketch for 1-byte blocks (512 MiB of heap per tier, see the report)
        return TestServers.start(TestServers.config(dir).assignment("dramCapacityBytes=" + dram)
                .assignment("dramPolicy=lru")
                .assignment("nvmeCapacityBytes=0")
                .assignment("remoteSeeds=" + String.join(",", cluster.seeds()))
                .assignment("remoteKeyPrefix=e2e" + writeThroughBlocks)
                .assignment("remoteTimeoutMillis=1000")
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
                    .containsOnly(PutStatus.STORED);
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
                    .containsOnly(PutStatus.STORED);
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
