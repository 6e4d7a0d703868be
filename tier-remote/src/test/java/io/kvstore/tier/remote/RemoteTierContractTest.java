package io.kvstore.tier.remote;

import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierContractTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The core {@link TierContractTest} against a real 3+3 Redis Cluster on loopback. Each test gets its own key
 * prefix, so tests share one cluster without seeing each other's blocks; the contract's capacity is the tier's
 * write budget (its ledger of bytes it wrote), see docs/remote-tier.md.
 */
@Timeout(60)
class RemoteTierContractTest extends TierContractTest {

    private static final AtomicInteger PREFIXES = new AtomicInteger();
    @RegisterExtension
    static final RedisClusterExtension CLUSTER = new RedisClusterExtension("256mb", "allkeys-lru");

    @Override
    protected Tier newTier(long capacityBytes) {
        return RemoteTier.open(RemoteTierConfig.builder(CLUSTER.seeds())
                .keyPrefix("contract" + PREFIXES.incrementAndGet())
                .capacityBytes(capacityBytes)
                .timeoutMillis(2000).build()); // a loaded CI machine must not turn contract checks into timeouts
    }
}
