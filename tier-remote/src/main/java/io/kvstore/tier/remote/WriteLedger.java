package io.kvstore.tier.remote;

import io.kvstore.core.key.BlockKey;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one daemon wrote to the shared cluster, against its write budget: the footprint of each block it stored
 * there. The cluster itself is shared and evicts on its own (Redis's {@code maxmemory}), so this is a ledger, not
 * the cluster's content: a block leaves it when a read, a meta lookup or a remove finds it gone, or when this node
 * removes it. Thread-safe.
 */
final class WriteLedger {

    private final long budget;
    private final Map<BlockKey, Long> footprints = new ConcurrentHashMap<>();
    private final AtomicLong used = new AtomicLong();

    WriteLedger(long budget) {
        this.budget = budget;
    }

    /** Reserves {@code fp} bytes of the budget before a write; false if they do not fit. */
    boolean reserve(long fp) {
        long u;
        do {
            u = used.get();
            if (u + fp > budget) {
                return false;
            }
        } while (!used.compareAndSet(u, u + fp));
        return true;
    }

    /** Gives back a reservation whose write did not happen. */
    void unreserve(long fp) {
        used.addAndGet(-fp);
    }

    /** Records a write that used its reservation; an entry for a copy Redis had evicted is replaced. */
    void stored(BlockKey key, long fp) {
        Long stale = footprints.put(key, fp);
        if (stale != null) {
            used.addAndGet(-stale);
        }
    }

    /** The block is gone from the cluster (or was removed): its bytes go back to the budget. */
    void forget(BlockKey key) {
        Long fp = footprints.remove(key);
        if (fp != null) {
            used.addAndGet(-fp);
        }
    }

    long usedBytes() {
        return used.get();
    }

    long blocks() {
        return footprints.size();
    }

    void clear() {
        footprints.clear();
        used.set(0);
    }
}
