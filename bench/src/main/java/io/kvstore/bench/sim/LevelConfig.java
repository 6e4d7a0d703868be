package io.kvstore.bench.sim;

import java.util.Objects;

/**
 * One simulated tier: its name, the policy that runs it and its capacity in blocks.
 *
 * @param name           tier name (e.g. {@code hbm}, {@code dram}, {@code nvme})
 * @param policy         registry name of the policy ({@code default}, {@code opt} and {@code tinylfu-X} allowed)
 * @param capacityBlocks capacity in blocks, at least 1
 */
public record LevelConfig(String name, String policy, long capacityBlocks) {
    public LevelConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(policy, "policy");
        if (capacityBlocks < 1) {
            throw new IllegalArgumentException(name + ": capacity must be >= 1 block, was " + capacityBlocks);
        }
    }
}
