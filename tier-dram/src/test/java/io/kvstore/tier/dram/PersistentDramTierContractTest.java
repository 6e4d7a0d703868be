package io.kvstore.tier.dram;

import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierContractTest;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The Tier contract over a persistent DRAM tier (mapped files, 64 KiB pages). */
class PersistentDramTierContractTest extends TierContractTest {

    @TempDir
    Path dir;

    @Override
    protected Tier newTier(long capacityBytes) {
        return DramTier.open(DramTierConfig.of("dram", capacityBytes).persistedTo(dir));
    }
}
