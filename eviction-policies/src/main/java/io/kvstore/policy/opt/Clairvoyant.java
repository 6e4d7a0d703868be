package io.kvstore.policy.opt;

/**
 * A policy that is told the future: before each access of a key (the {@code admit} of a miss or the
 * {@code onHit} of a hit), the trace replayer says when that key will next be accessed. Only a simulator that
 * has read the whole trace can do that.
 *
 * @param <K> key type
 */
public interface Clairvoyant<K> extends io.kvstore.policy.EvictionPolicy<K> {
    /** Sentinel for "never accessed again". */
    long NEVER = Long.MAX_VALUE;

    /**
     * Records the index (in trace order, any monotone clock) of the key's next access after the current one,
     * or {@link #NEVER}.
     */
    void nextAccess(K key, long index);
}
