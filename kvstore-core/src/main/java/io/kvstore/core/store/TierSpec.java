package io.kvstore.core.store;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.Tier;
import io.kvstore.policy.EvictionPolicy;

import java.util.Objects;

/**
 * One level of a {@link TieredStore}: a tier, the policy that decides what it gives up, and its rules.
 *
 * @param tier           the storage
 * @param policy         its eviction policy (owned by the store from now on)
 * @param highWatermark  fraction of capacity past which an insert triggers eviction, in (0, 1]
 * @param lowWatermark   fraction of capacity eviction frees down to, in (0, highWatermark]
 * @param acceptsWrites  true if PUTs may land here (the first such level, top down, takes them)
 * @param takesPromotions true if a hit in a lower level copies the block up into this level
 * @param keepsPromotedCopies true if a block promoted out of this level keeps its copy here (a persistent tier:
 *                        the block is then clean above, and demoting it again writes nothing); false moves it
 */
public record TierSpec(Tier tier, EvictionPolicy<BlockKey> policy, double highWatermark, double lowWatermark,
                       boolean acceptsWrites, boolean takesPromotions, boolean keepsPromotedCopies) {

    /** A spec whose promoted blocks move (exclusive), except out of a shared tier, which always keeps them. */
    public TierSpec(Tier tier, EvictionPolicy<BlockKey> policy, double highWatermark, double lowWatermark,
                    boolean acceptsWrites, boolean takesPromotions) {
        this(tier, policy, highWatermark, lowWatermark, acceptsWrites, takesPromotions, Objects.requireNonNull(tier, "tier").shared());
    }

    public TierSpec {
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(policy, "policy");
        if (!(highWatermark > 0 && highWatermark <= 1)) {
            throw new IllegalArgumentException(tier.name() + ": highWatermark must be in (0, 1], was " + highWatermark);
        }
        if (!(lowWatermark > 0 && lowWatermark <= highWatermark)) {
            throw new IllegalArgumentException(tier.name() + ": lowWatermark must be in (0, highWatermark], was "
                    + lowWatermark);
        }
    }

    /** A level that takes writes and promotions and evicts only when full (watermarks 1.0). */
    public static TierSpec of(Tier tier, EvictionPolicy<BlockKey> policy) {
        return new TierSpec(tier, policy, 1.0, 1.0, true, true);
    }

    /** The same spec with other watermarks. */
    public TierSpec withWatermarks(double high, double low) {
        return new TierSpec(tier, policy, high, low, acceptsWrites, takesPromotions, keepsPromotedCopies);
    }

    /** The same spec with other write and promotion rules. */
    public TierSpec withRules(boolean writes, boolean promotions) {
        return new TierSpec(tier, policy, highWatermark, lowWatermark, writes, promotions, keepsPromotedCopies);
    }

    /** The same spec, keeping (true) or moving (false) the copy of a block promoted out of this level. */
    public TierSpec withPromotedCopies(boolean keep) {
        return new TierSpec(tier, policy, highWatermark, lowWatermark, acceptsWrites, takesPromotions, keep);
    }
}
