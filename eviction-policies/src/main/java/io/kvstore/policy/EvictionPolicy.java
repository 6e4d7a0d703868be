package io.kvstore.policy;

import java.util.List;
import java.util.function.Predicate;

/**
 * Decides what a full tier gives up. One implementation serves both a live tier and the trace simulator.
 *
 * <p>The policy tracks the set of keys resident in one tier and their weights (bytes). The tier's owner
 * (the {@code TieredStore}) tells it about every change: {@link #admit} before a block enters,
 * {@link #onHit} when a resident block is read, {@link #onRemove} when a block leaves for a reason the policy
 * did not choose, and asks it for {@link #evict victims} when the tier must free bytes. The policy never
 * touches payloads and never calls back into the tier.
 *
 * <p>A policy may use the chain structure of prefix blocks ({@link Candidate#parent()},
 * {@link Candidate#position()}): a prefix hit needs every block before it, so a parent is worth at least as
 * much as its cached children.
 *
 * <p>Thread-safety: implementations are not thread-safe; the owner serializes all calls (the store calls
 * them under its lock, the simulator from one thread).
 *
 * @param <K> key type; must have value equality
 */
public interface EvictionPolicy<K> {

    /** The registry name of this policy, e.g. {@code "lru"}. */
    String name();

    /**
     * Offers a block that is not resident. Returns true if the policy admits it; from then on the key is
     * tracked and its weight counted in {@link #weightedSize()}. Returns false to refuse it (an admission
     * filter); a refused key is not tracked. The caller makes room afterwards by calling {@link #evict}, so a
     * policy must not refuse merely because it is full.
     *
     * @throws IllegalStateException if the key is already tracked
     */
    boolean admit(Candidate<K> candidate);

    /** Records a read of a tracked key. Unknown keys are ignored. */
    void onHit(K key);

    /**
     * Records that a tracked key left the tier for a reason the policy did not choose (explicit delete,
     * corruption, a move to another tier). Unknown keys are ignored.
     */
    void onRemove(K key);

    /**
     * Chooses victims whose weights sum to at least {@code bytesToFree}, or as many as exist when that is not
     * possible, among tracked keys for which {@code evictable} is true (pinned or leased keys are not). The
     * returned keys are no longer tracked. They are listed in the order the tier should drop them; a
     * prefix-aware policy lists children before their parents, and a leaf-first one does not offer a parent
     * while one of its tracked children must stay.
     *
     * @param bytesToFree bytes to free; {@code <= 0} returns an empty list
     * @param evictable   false for keys that must stay
     * @return the victims, never null
     */
    List<K> evict(long bytesToFree, Predicate<? super K> evictable);

    /**
     * The key {@link #evict} would choose first if every key were evictable, or null when the policy is empty or
     * cannot tell cheaply. Changes nothing. Admission filters that wrap a policy compare a candidate against it.
     */
    default K peekVictim() {
        return null;
    }

    /** True if the key is tracked. */
    boolean contains(K key);

    /** Number of tracked keys. */
    int size();

    /** Sum of the weights of tracked keys, in bytes. */
    long weightedSize();

    /**
     * The policy's own state for operators (the daemon exports each as {@code kvstore_policy_detail{tier,name}}),
     * e.g. whether an adaptive filter is on. Unlike every other method this one may be called from any thread
     * without the owner's serialization: an implementation returns values it can read without a lock (a figure
     * may be a moment old) and never changes anything. Empty by default.
     */
    default java.util.Map<String, Long> details() {
        return java.util.Map.of();
    }
}
