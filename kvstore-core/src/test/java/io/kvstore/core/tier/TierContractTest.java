package io.kvstore.core.tier;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.testing.Blocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link Tier} promises. A tier module tests its tier by extending this class (it ships in the core
 * test-jar) and implementing {@link #newTier(long)}.
 */
public abstract class TierContractTest {

    protected static final int BLOCK = 64 * 1024;

    protected Tier tier;

    /** A fresh, empty tier with room for at least {@code capacityBytes} of payload. */
    protected abstract Tier newTier(long capacityBytes) throws Exception;

    @BeforeEach
    void open() throws Exception {
        tier = newTier(16L * BLOCK + 8L * 4096);
    }

    @AfterEach
    void closeTier() {
        if (tier != null) {
            tier.close();
        }
    }

    protected static ByteBuffer payloadOf(long n) {
        return Blocks.payload(n, BLOCK);
    }

    @Test
    void putThenReadReturnsTheSameBytes() {
        BlockMeta m = Blocks.meta(1, BLOCK);
        ByteBuffer p = payloadOf(1);
        assertThat(tier.put(m, p)).isEqualTo(PutOutcome.STORED);
        assertThat(p.position()).as("put must not move the caller's buffer").isZero();
        ReadResult r = tier.read(m.key());
        assertThat(r.outcome()).isEqualTo(ReadResult.Outcome.HIT);
        try (BlockHandle h = r.handle()) {
            assertThat(h.meta()).isEqualTo(m);
            assertThat(h.payload()).isEqualTo(payloadOf(1));
            assertThat(h.payload().isReadOnly()).isTrue();
        }
        assertThat(tier.contains(m.key())).isTrue();
        assertThat(tier.meta(m.key())).contains(m);
        assertThat(tier.blockCount()).isEqualTo(1);
        assertThat(tier.usedBytes()).isEqualTo(tier.footprint(BLOCK));
    }

    @Test
    void secondPutOfTheSameKeyChangesNothing() {
        BlockMeta m = Blocks.meta(1, BLOCK);
        tier.put(m, payloadOf(1));
        assertThat(tier.put(m, payloadOf(1))).isEqualTo(PutOutcome.ALREADY_PRESENT);
        assertThat(tier.blockCount()).isEqualTo(1);
    }

    @Test
    void missAndRemove() {
        assertThat(tier.read(Blocks.key(99)).outcome()).isEqualTo(ReadResult.Outcome.MISS);
        assertThat(tier.remove(Blocks.key(99))).isFalse();
        BlockMeta m = Blocks.meta(2, BLOCK);
        tier.put(m, payloadOf(2));
        assertThat(tier.remove(m.key())).isTrue();
        assertThat(tier.read(m.key()).outcome()).isEqualTo(ReadResult.Outcome.MISS);
        assertThat(tier.usedBytes()).isZero();
        assertThat(tier.blockCount()).isZero();
    }

    @Test
    void neverExceedsCapacity() {
        int stored = 0;
        for (int i = 0; i < 40; i++) {
            PutOutcome o = tier.put(Blocks.meta(i, BLOCK), payloadOf(i));
            assertThat(o).isIn(PutOutcome.STORED, PutOutcome.NO_CAPACITY);
            if (o == PutOutcome.STORED) {
                stored++;
            }
            assertThat(tier.usedBytes()).isLessThanOrEqualTo(tier.capacityBytes());
        }
        assertThat(stored).isBetween(1, 39);
        assertThat(tier.blockCount()).isEqualTo(stored);
    }

    @Test
    void handleOutlivesRemoval() {
        BlockMeta m = Blocks.meta(3, BLOCK);
        tier.put(m, payloadOf(3));
        BlockHandle h = tier.read(m.key()).handle();
        BlockHandle second = h.retain();
        tier.remove(m.key());
        for (int i = 10; i < 30; i++) {
            tier.put(Blocks.meta(i, BLOCK), payloadOf(i)); // try to reuse the memory
        }
        assertThat(h.payload()).isEqualTo(payloadOf(3));
        h.close();
        h.close(); // idempotent
        assertThat(second.payload()).isEqualTo(payloadOf(3));
        second.close();
        assertThatThrownBy(h::payload).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void forEachVisitsEveryBlock() {
        for (int i = 0; i < 5; i++) {
            tier.put(Blocks.meta(i, BLOCK), payloadOf(i));
        }
        List<BlockMeta> seen = new ArrayList<>();
        tier.forEach(seen::add);
        assertThat(seen).extracting(BlockMeta::key)
                .containsExactlyInAnyOrder(Blocks.key(0), Blocks.key(1), Blocks.key(2), Blocks.key(3), Blocks.key(4));
    }

    @Test
    void wrongPayloadLengthIsMisuse() {
        assertThatThrownBy(() -> tier.put(Blocks.meta(5, BLOCK), Blocks.payload(5, BLOCK - 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(tier.blockCount()).isZero();
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseFails() {
        tier.put(Blocks.meta(1, BLOCK), payloadOf(1));
        tier.close();
        tier.close();
        assertThatThrownBy(() -> tier.read(Blocks.key(1))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tier.put(Blocks.meta(2, BLOCK), payloadOf(2)))
                .isInstanceOf(IllegalStateException.class);
        tier = null;
    }

    @Test
    void statsCountHitsAndMisses() {
        tier.put(Blocks.meta(1, BLOCK), payloadOf(1));
        tier.read(Blocks.key(1)).handle().close();
        tier.read(Blocks.key(2));
        TierStats s = tier.stats();
        assertThat(s.hits()).isEqualTo(1);
        assertThat(s.misses()).isEqualTo(1);
        assertThat(s.blocks()).isEqualTo(1);
        assertThat(s.capacityBytes()).isEqualTo(tier.capacityBytes());
        assertThat(RefCountedHandle.leaks()).isZero();
    }
}
