package io.kvstore.core.tier;

import io.kvstore.core.testing.Blocks;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HeapTierTest extends TierContractTest {

    @Override
    protected Tier newTier(long capacityBytes) {
        return new HeapTier("heap", capacityBytes);
    }

    @Test
    void damagedBlockIsCorruptRemovedAndCounted() {
        tier.put(Blocks.meta(1, BLOCK), payloadOf(1));
        ((HeapTier) tier).damage(Blocks.key(1), 100);
        assertThat(tier.read(Blocks.key(1)).outcome()).isEqualTo(ReadResult.Outcome.CORRUPT);
        assertThat(tier.contains(Blocks.key(1))).isFalse();
        assertThat(tier.stats().corrupt()).isEqualTo(1);
    }
}
