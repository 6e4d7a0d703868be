package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reopened tier shares key objects as the store does while it runs: a block's parent key is its parent's own key
 * object when the parent is on the tier, and the blocks that start a chain in one namespace share one root object
 * (each record decodes its parent key anew, and a tier reopened without this held two key objects per block).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NvmeSharedKeysTest {

    private static final int BLOCK = 8 << 10;
    private static final long NS = 7;

    @TempDir
    Path dir;

    /** A copy of a key, as a client sends it: equal, not the same object. */
    private static BlockKey copy(BlockKey k) {
        return BlockKey.of(k.toBytes());
    }

    private static void put(NvmeTier tier, BlockKey key, BlockKey parent, int position, long ns) {
        ByteBuffer p = ByteBuffer.allocate(BLOCK);
        assertThat(tier.put(new BlockMeta(key, parent, position, ns, 1, BLOCK, io.kvstore.core.block.Checksums.crc32c(p)),
                p)).isEqualTo(PutOutcome.STORED);
    }

    private static BlockMeta meta(NvmeTier tier, BlockKey key) {
        return tier.meta(key).orElseThrow();
    }

    @Test
    void aReopenedTierSharesParentAndRootKeys() throws IOException {
        NvmeTierConfig cfg = NvmeTierConfig.builder(dir.resolve("db"), 64L << 20).build();
        BlockKey root = BlockKey.synthetic(-1, -1);
        BlockKey otherRoot = BlockKey.synthetic(-9, -9);
        BlockKey[] a = {BlockKey.synthetic(1, 0), BlockKey.synthetic(1, 1), BlockKey.synthetic(1, 2)};
        BlockKey b0 = BlockKey.synthetic(2, 0);
        BlockKey orphan = BlockKey.synthetic(3, 5); // its parent is not on the tier
        BlockKey elsewhere = BlockKey.synthetic(4, 0); // a chain start of another namespace
        try (NvmeTier tier = NvmeTier.open(cfg)) {
            put(tier, a[0], copy(root), 0, NS);
            put(tier, a[1], copy(a[0]), 1, NS);
            put(tier, a[2], copy(a[1]), 2, NS);
            put(tier, b0, copy(root), 0, NS);
            put(tier, orphan, BlockKey.synthetic(3, 4), 5, NS);
            put(tier, elsewhere, copy(otherRoot), 0, NS + 1);
        }
        try (NvmeTier tier = NvmeTier.open(cfg)) {
            assertThat(meta(tier, a[1]).parent()).isSameAs(meta(tier, a[0]).key());
            assertThat(meta(tier, a[2]).parent()).isSameAs(meta(tier, a[1]).key());
            assertThat(meta(tier, b0).parent()).as("chain starts of one namespace share its root")
                    .isSameAs(meta(tier, a[0]).parent());
            assertThat(meta(tier, elsewhere).parent()).isEqualTo(otherRoot)
                    .isNotSameAs(meta(tier, a[0]).parent());
            assertThat(meta(tier, orphan).parent()).isEqualTo(BlockKey.synthetic(3, 4));
            for (BlockKey k : new BlockKey[] {a[0], a[1], a[2], b0, orphan, elsewhere}) { // still read whole
                try (var h = tier.read(k).handle()) {
                    assertThat(h.meta().key()).isEqualTo(k);
                    assertThat(h.payload().remaining()).isEqualTo(BLOCK);
                }
            }
        }
    }
}
