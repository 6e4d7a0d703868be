package io.kvstore.core.store;

import io.kvstore.core.key.BlockKey;
import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The one way into a level's {@link EvictionPolicy}, which is single-threaded by contract. Writers (admission,
 * eviction, removal) take a short per-level lock that is held only for in-memory policy work, never across I/O.
 * Readers never take it: a hit is recorded in a lossy {@link HitBuffer} and replayed into the policy before the
 * next decision (or by whichever reader finds the lock free once the buffer is half full), as in caffeine's
 * {@code BoundedLocalCache}.
 */
final class PolicyGate {

    private static final int HIT_BUFFER = 1024;

    private final EvictionPolicy<BlockKey> policy;
    private final ReentrantLock lock = new ReentrantLock();
    private final HitBuffer<BlockKey> hits = new HitBuffer<>(HIT_BUFFER);
    /** Removals a thread that must not wait could not make: applied, in order, by the next holder of the lock. */
    private final java.util.concurrent.ConcurrentLinkedQueue<BlockKey> removals =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    PolicyGate(EvictionPolicy<BlockKey> policy) {
        this.policy = policy;
    }

    String name() {
        return policy.name();
    }

    /** True if the policy keeps no state at all (the level's tier evicts itself: {@code TierManagedPolicy}). */
    boolean tracksNothing() {
        return policy instanceof io.kvstore.policy.tier.TierManagedPolicy;
    }

    /** Records a read of {@code key}. Never blocks. */
    void recordHit(BlockKey key) {
        if ((!hits.offer(key) || hits.size() >= HIT_BUFFER / 2) && lock.tryLock()) {
            try {
                drainHits();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Offers a block and, if it is admitted and the level's committed bytes pass {@code highBytes}, chooses
     * victims down to {@code lowBytes} in the same step. Returns null if the policy refused the block, else the
     * victims (possibly none). A key the policy already tracks counts as admitted.
     */
    List<BlockKey> admit(Candidate<BlockKey> c, long highBytes, long lowBytes, Predicate<? super BlockKey> evictable) {
        lock.lock();
        try {
            drainHits();
            if (!policy.contains(c.key()) && !policy.admit(c)) {
                return null;
            }
            long committed = policy.weightedSize();
            return committed > highBytes ? policy.evict(committed - lowBytes, evictable) : List.of();
        } finally {
            lock.unlock();
        }
    }

    /** What {@link #tryAdmit} answers when another thread holds the lock: its own instance, not {@code List.of()}. */
    static final List<BlockKey> BUSY = java.util.Collections.unmodifiableList(new java.util.ArrayList<>());

    /**
     * {@link #admit} if the lock is free at once, else {@link #BUSY} (compare by identity) and nothing changed: for
     * a caller that must not wait (an event loop).
     */
    List<BlockKey> tryAdmit(Candidate<BlockKey> c, long highBytes, long lowBytes,
                            Predicate<? super BlockKey> evictable) {
        if (!lock.tryLock()) {
            return BUSY;
        }
        try {
            return admit(c, highBytes, lowBytes, evictable); // reentrant: the hold count goes to 2 and back
        } finally {
            lock.unlock();
        }
    }

    /** Chooses victims worth at least {@code bytes}. */
    List<BlockKey> evict(long bytes, Predicate<? super BlockKey> evictable) {
        lock.lock();
        try {
            drainHits();
            return policy.evict(bytes, evictable);
        } finally {
            lock.unlock();
        }
    }

    /** Tracks a block again without asking admission (a copy that had to stay where it was). */
    void retrack(Candidate<BlockKey> c) {
        lock.lock();
        try {
            drainRemovals();
            if (!policy.contains(c.key())) {
                policy.admit(c);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The block left the level for a reason the policy did not choose. */
    void onRemove(BlockKey key) {
        lock.lock();
        try {
            drainRemovals();
            policy.onRemove(key);
        } finally {
            lock.unlock();
        }
    }

    /** {@link #onRemove} for a thread that must not wait: now if the lock is free, else by its next holder. */
    void onRemoveWithoutWaiting(BlockKey key) {
        if (lock.tryLock()) {
            try {
                drainRemovals();
                policy.onRemove(key);
            } finally {
                lock.unlock();
            }
        } else {
            removals.add(key);
        }
    }

    /** The policy's own figures ({@link EvictionPolicy#details}: safe without the lock). */
    java.util.Map<String, Long> details() {
        return policy.details();
    }

    /** Bytes the policy tracks: resident blocks plus blocks being written. */
    long weightedSize() {
        lock.lock();
        try {
            drainRemovals();
            return policy.weightedSize();
        } finally {
            lock.unlock();
        }
    }

    private void drainHits() {
        drainRemovals();
        hits.drain(policy::onHit);
    }

    private void drainRemovals() {
        for (BlockKey k; (k = removals.poll()) != null; ) {
            policy.onRemove(k);
        }
    }
}
