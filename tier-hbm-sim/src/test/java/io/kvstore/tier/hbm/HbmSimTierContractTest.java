package io.kvstore.tier.hbm;

import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierContractTest;

/** The Tier contract over the emulated HBM (accounting only, manual clock). */
class HbmSimTierContractTest extends TierContractTest {

    @Override
    protected Tier newTier(long capacityBytes) {
        return new HbmSimTier(HbmSimConfig.of("hbm", capacityBytes).withPageSize(16 * 1024), new ManualClock());
    }
}
