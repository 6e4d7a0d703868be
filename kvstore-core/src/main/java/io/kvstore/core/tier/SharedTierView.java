package io.kvstore.core.tier;

/**
 * One tier used by several {@code TieredStore}s in one process as their shared last level: the multi-node
 * simulator (one {@link MetadataOnlyTier} standing for a Redis Cluster under N simulated daemons) and tests.
 * Every call goes to the wrapped tier; {@link #shared()} is true; {@link #close()} does nothing, because each
 * store closes its tiers and the wrapped tier belongs to whoever created the views (close it once, last).
 *
 * <p>Thread-safety and buffer ownership: those of the wrapped tier.
 */
public final class SharedTierView extends ForwardingTier {

    public SharedTierView(Tier tier) {
        super(tier);
    }

    @Override
    public boolean shared() {
        return true;
    }

    /** Does nothing: the wrapped tier is closed by its owner. */
    @Override
    public void close() {
    }
}
