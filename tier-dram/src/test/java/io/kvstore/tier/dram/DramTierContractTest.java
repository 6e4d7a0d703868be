package io.kvstore.tier.dram;

import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierContractTest;

/** The Tier contract over a non-persistent DRAM tier with 16 KiB pages. */
class DramTierContractTest extends TierContractTest {

    @Override
    protected Tier newTier(long capacityBytes) {
        return DramTier.open(DramTierConfig.of("dram", capacityBytes, 16 * 1024));
    }
}
