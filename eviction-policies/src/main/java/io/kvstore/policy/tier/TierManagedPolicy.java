package io.kvstore.policy.tier;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;

import java.util.List;
import java.util.function.Predicate;

/**
 * The policy of a level whose tier makes room itself ({@code Tier.evictsItself()}: the NVMe tier's segment reclaim,
 * oldest segment first, reinserting the blocks read since they were written; docs/tiers.md): it admits every block
 * and tracks none, so the store never chooses victims there and the level costs no policy memory per block and no
 * policy work per operation. The daemon's {@code nvmePolicy=tier}.
 *
 * <p>It breaks {@link EvictionPolicy}'s contract on purpose (an admitted key is not tracked, its weight not counted),
 * which is why it is not in the {@code PolicyRegistry}: over a tier that does not make room itself, a level with it
 * would fill up and then refuse puts, and the trace simulator, whose tiers never evict, models the NVMe tier's
 * reclaim with {@code fifo-reinsert} instead.
 *
 * <p>Stateless, hence thread-safe.
 *
 * @param <K> key type
 */
public final class TierManagedPolicy<K> implements EvictionPolicy<K> {

    /** Its name in the daemon's config ({@code nvmePolicy=tier}) and in metrics. */
    public static final String NAME = "tier";

    /** True if {@code name} (any case, surrounding blanks ignored) names this policy. */
    public static boolean isNamed(String name) {
        return NAME.equals(PolicyRegistry.resolve(name));
    }

    /**
     * The policy {@code name} names where a level's tier may evict itself: this one for {@link #NAME}, else the
     * registry's ({@link PolicyRegistry#create}). {@link #NAME} only for a tier that evicts itself.
     */
    public static <K> EvictionPolicy<K> orRegistered(String name, PolicySpec spec) {
        return isNamed(name) ? new TierManagedPolicy<>() : PolicyRegistry.create(name, spec);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Admits every block, tracking nothing: the tier decides what leaves. */
    @Override
    public boolean admit(Candidate<K> candidate) {
        return true;
    }

    @Override
    public void onHit(K key) {
    }

    @Override
    public void onRemove(K key) {
    }

    /** Never chooses a victim: the tier drops blocks itself. */
    @Override
    public List<K> evict(long bytesToFree, Predicate<? super K> evictable) {
        return List.of();
    }

    @Override
    public boolean contains(K key) {
        return false;
    }

    @Override
    public int size() {
        return 0;
    }

    /** Zero: the store counts nothing against the level's watermarks, so it never evicts there. */
    @Override
    public long weightedSize() {
        return 0;
    }
}
