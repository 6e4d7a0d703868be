package io.kvstore.tier.remote;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Opt-in measurement ({@code -Dkvstore.long=true}): put and read throughput of 2 MiB blocks through
 * {@link RemoteTier}, against a baseline of plain Lettuce {@code SET}/{@code MGET} of the same bytes as 1 MiB
 * values with the same hash tag, on the same local cluster, in the same run. One block at a time (the latency of
 * a single stream); median of 5 rounds. Prints a table; asserts only correctness.
 */
@EnabledIfSystemProperty(named = "kvstore.long", matches = "true")
@Timeout(300)
class RemoteTierThroughputTest {

    static final int SIZE = 2 << 20;
    static final int BLOCKS = 64;
    static final int ROUNDS = 5;

    @Test
    void remoteTierAgainstPlainLettuce() throws Exception {
        try (LocalRedisCluster cluster = LocalRedisCluster.start(3, "2gb", "allkeys-lru")) {
            RedisClusterClient raw = RedisClusterClient.create(cluster.seeds().stream()
                    .map(s -> RedisURI.create("redis://" + s)).toList());
            try (StatefulRedisClusterConnection<byte[], byte[]> c = raw.connect(ByteArrayCodec.INSTANCE);
                 RemoteTier tier = RemoteTier.open(RemoteTierConfig.builder(cluster.seeds()).timeoutMillis(5000)
                         .keyPrefix("bench").build())) {
                RedisAdvancedClusterCommands<byte[], byte[]> sync = c.sync();
                List<ByteBuffer> payloads = new ArrayList<>();
                for (int i = 0; i < BLOCKS; i++) {
                    payloads.add(Blocks.payload(i, SIZE));
                }
                List<Integer> crcs = payloads.stream().map(Checksums::crc32c).toList();
                List<Double> rawPut = new ArrayList<>();
                List<Double> rawGet = new ArrayList<>();
                List<Double> tierPut = new ArrayList<>();
                List<Double> tierGet = new ArrayList<>();
                for (int r = 0; r < ROUNDS; r++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < BLOCKS; i++) {
                        byte[] p = new byte[SIZE];
                        payloads.get(i).duplicate().get(p);
                        String base = "raw" + r + ":{" + i + "}:";
                        byte[] half = new byte[SIZE / 2];
                        System.arraycopy(p, 0, half, 0, SIZE / 2);
                        sync.set((base + 0).getBytes(StandardCharsets.US_ASCII), half);
                        byte[] rest = new byte[SIZE / 2];
                        System.arraycopy(p, SIZE / 2, rest, 0, SIZE / 2);
                        sync.set((base + 1).getBytes(StandardCharsets.US_ASCII), rest);
                    }
                    rawPut.add(mibPerSecond(t0));
                    t0 = System.nanoTime();
                    for (int i = 0; i < BLOCKS; i++) {
                        String base = "raw" + r + ":{" + i + "}:";
                        assertThat(sync.mget((base + 0).getBytes(StandardCharsets.US_ASCII),
                                (base + 1).getBytes(StandardCharsets.US_ASCII))).hasSize(2);
                    }
                    rawGet.add(mibPerSecond(t0));

                    t0 = System.nanoTime();
                    for (int i = 0; i < BLOCKS; i++) {
                        BlockMeta m = new BlockMeta(Blocks.key(r * 1000L + i), Blocks.key(-1), i, Blocks.NS, 7, SIZE,
                                crcs.get(i));
                        assertThat(tier.put(m, payloads.get(i))).isEqualTo(PutOutcome.STORED);
                    }
                    tierPut.add(mibPerSecond(t0));
                    t0 = System.nanoTime();
                    for (int i = 0; i < BLOCKS; i++) {
                        try (BlockHandle h = tier.read(Blocks.key(r * 1000L + i)).handle()) {
                            assertThat(h.payload().remaining()).isEqualTo(SIZE);
                        }
                    }
                    tierGet.add(mibPerSecond(t0));
                }
                System.out.printf("remote tier, %d x 2 MiB blocks, one at a time, median of %d rounds (MiB/s):%n",
                        BLOCKS, ROUNDS);
                System.out.printf("  put: tier %.0f, plain Lettuce SETs %.0f, ratio %.2f%n", median(tierPut),
                        median(rawPut), median(tierPut) / median(rawPut));
                System.out.printf("  get: tier %.0f, plain Lettuce MGET %.0f, ratio %.2f%n", median(tierGet),
                        median(rawGet), median(tierGet) / median(rawGet));
                System.out.printf("  rounds: tierPut %s rawPut %s tierGet %s rawGet %s%n", tierPut, rawPut, tierGet,
                        rawGet);
            } finally {
                raw.shutdown();
            }
        }
    }

    private static double mibPerSecond(long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        return BLOCKS * (SIZE / (double) (1 << 20)) / s;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        return s.get(s.size() / 2);
    }
}
