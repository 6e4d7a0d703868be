package io.kvstore.server.door;

import io.kvstore.core.key.BlockKey;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Deadlines of values set with a time to live (Redis's {@code SET ... EX}, {@code EXPIRE}). The engine itself has
 * no expiry (its policies decide what leaves), so the door keeps the deadlines beside it: a value past its
 * deadline reads as absent at once, and the doors' reaper deletes it from the store ({@link #expired}).
 * Deadlines live in memory: after a restart the values that had one are kept without it, until evicted.
 * Thread-safe.
 */
public final class Expiries {

    private final Map<BlockKey, Long> deadlines = new ConcurrentHashMap<>();
    private final LongSupplier clockMillis;

    public Expiries(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    /** Sets (or with {@code deadlineMillis} &lt; 0 clears) the deadline of a key. */
    public void set(BlockKey key, long deadlineMillis) {
        if (deadlineMillis < 0) {
            deadlines.remove(key);
        } else {
            deadlines.put(key, deadlineMillis);
        }
    }

    /** Clears the deadline of a key; true if it had one. */
    public boolean clear(BlockKey key) {
        return deadlines.remove(key) != null;
    }

    /** Milliseconds the key has left, -1 if it has no deadline, 0 if it is past it. */
    public long remainingMillis(BlockKey key) {
        Long d = deadlines.get(key);
        return d == null ? -1 : Math.max(0, d - clockMillis.getAsLong());
    }

    /** True if the key has a deadline and it has passed. */
    public boolean isExpired(BlockKey key) {
        Long d = deadlines.get(key);
        return d != null && d <= clockMillis.getAsLong();
    }

    /** Removes and returns every key whose deadline has passed (for the reaper to delete). */
    public List<BlockKey> expired() {
        long now = clockMillis.getAsLong();
        List<BlockKey> out = new ArrayList<>();
        deadlines.forEach((k, d) -> {
            if (d <= now && deadlines.remove(k, d)) {
                out.add(k);
            }
        });
        return out;
    }

    /** Keys with a deadline. */
    public int size() {
        return deadlines.size();
    }

    /** The current time of the deadlines' clock. */
    public long nowMillis() {
        return clockMillis.getAsLong();
    }
}
