package io.kvstore.server.tier;

import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierContractTest;

/** The DRAM stand-in passes the Tier contract every tier must pass. */
class DirectMemoryTierTest extends TierContractTest {

    @Override
    protected Tier newTier(long capacityBytes) {
        return new DirectMemoryTier("dram", capacityBytes);
    }
}
