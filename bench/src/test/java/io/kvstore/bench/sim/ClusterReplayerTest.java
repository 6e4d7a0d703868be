package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The multi-node replay on small hand-made traces whose hit counts can be worked out by hand. */
@Timeout(30)
class ClusterReplayerTest {

    /** {@code requests} requests that all send the same 4-block prefix. */
    static Trace samePrefix(int requests) {
        int[] start = new int[requests + 1];
        int[] blocks = new int[requests * 4];
        for (int r = 0; r < requests; r++) {
            start[r] = r * 4;
            for (int j = 0; j < 4; j++) {
                blocks[r * 4 + j] = j;
            }
        }
        start[requests] = blocks.length;
        int[] tokens = new int[requests];
        Arrays.fill(tokens, 64);
        long[] time = new long[requests];
        int[] session = new int[requests];
        for (int r = 0; r < requests; r++) {
            time[r] = r;
            session[r] = r;
        }
        return new Trace("same-prefix", 16, start, blocks, tokens, time, session);
    }

    @Test
    void roundRobinOverFourNodesMissesOncePerNodeAloneAndOnceInAllWithASharedTier() {
        Trace t = samePrefix(8); // 32 requested blocks
        ClusterReplayer.Result alone = new ClusterReplayer(t).run(4, ClusterReplayer.Routing.ROUND_ROBIN, "lru", 8, 0,
                0, 1);
        // each of the 4 nodes misses the prefix once: 4 of 8 requests hit, 16 of 32 blocks
        assertThat(alone.hitBlocks()).isEqualTo(16);
        assertThat(alone.requestsPerNode()).containsExactly(2, 2, 2, 2);
        ClusterReplayer.Result shared = new ClusterReplayer(t).run(4, ClusterReplayer.Routing.ROUND_ROBIN, "lru", 8,
                16, Integer.MAX_VALUE, 1);
        // written through by the first node: only the very first request misses
        assertThat(shared.hitBlocks()).isEqualTo(28);
        assertThat(shared.sharedHitBlocks()).isEqualTo(12); // nodes 1..3 find it in the shared tier once each
        assertThat(shared.hitRatioBlocks()).isGreaterThan(alone.hitRatioBlocks());
    }

    @Test
    void writeBackOnlySharesNothingWhileLocalTiersHoldEverything() {
        Trace t = samePrefix(8);
        ClusterReplayer.Result r = new ClusterReplayer(t).run(4, ClusterReplayer.Routing.ROUND_ROBIN, "lru", 8, 16,
                0, 1);
        assertThat(r.hitBlocks()).isEqualTo(16);
        assertThat(r.sharedHitBlocks()).isZero();
    }

    @Test
    void theSharedTierEvictsByOneGlobalLru() {
        GlobalLruSharedTier tier = new GlobalLruSharedTier("remote", 2);
        io.kvstore.core.block.BlockMeta a = meta(1);
        io.kvstore.core.block.BlockMeta b = meta(2);
        io.kvstore.core.block.BlockMeta c = meta(3);
        tier.put(a, java.nio.ByteBuffer.allocate(0));
        tier.put(b, java.nio.ByteBuffer.allocate(0));
        assertThat(tier.meta(a.key())).isPresent(); // not an access
        tier.read(b.key()).handle().close();
        tier.put(c, java.nio.ByteBuffer.allocate(0)); // a is the least recent
        assertThat(tier.contains(a.key())).isFalse();
        assertThat(tier.contains(b.key())).isTrue();
        assertThat(tier.contains(c.key())).isTrue();
        assertThat(tier.evictions()).isEqualTo(1);
        assertThat(tier.shared()).isTrue();
    }

    @Test
    void routingNamesParseAndBadOnesAreRefused() {
        assertThat(ClusterReplayer.Routing.parse("prefix-affinity")).isEqualTo(ClusterReplayer.Routing.PREFIX_AFFINITY);
        assertThat(ClusterReplayer.Routing.ROUND_ROBIN.toString()).isEqualTo("round-robin");
        assertThatThrownBy(() -> ClusterReplayer.Routing.parse("sticky")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prefix-affinity");
    }

    private static io.kvstore.core.block.BlockMeta meta(int id) {
        return new io.kvstore.core.block.BlockMeta(io.kvstore.core.key.BlockKey.synthetic(1, id),
                io.kvstore.core.key.BlockKey.synthetic(0, -1), 0, 1, 0, 1, 0);
    }
}
