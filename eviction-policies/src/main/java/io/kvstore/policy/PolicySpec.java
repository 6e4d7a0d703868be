package io.kvstore.policy;

/**
 * What a policy is told about the tier it serves when it is created.
 *
 * @param capacityBytes the tier's capacity; adaptive policies size their ghost lists and sketches from it
 * @param expectedBlockBytes a typical block weight, used to turn bytes into an entry count for sketches
 * @param seed seed for any randomness, so that runs are repeatable
 */
public record PolicySpec(long capacityBytes, long expectedBlockBytes, long seed) {
    public PolicySpec {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException("capacityBytes must be >= 1, was " + capacityBytes);
        }
        if (expectedBlockBytes < 1) {
            throw new IllegalArgumentException("expectedBlockBytes must be >= 1, was " + expectedBlockBytes);
        }
    }

    /** A spec with a typical block of 1 byte per unit of weight and seed 42. */
    public static PolicySpec ofCapacity(long capacityBytes) {
        return new PolicySpec(capacityBytes, 1, 42);
    }

    /** Capacity expressed in typical blocks, at least 1. */
    public long capacityBlocks() {
        return Math.max(1, capacityBytes / expectedBlockBytes);
    }
}
