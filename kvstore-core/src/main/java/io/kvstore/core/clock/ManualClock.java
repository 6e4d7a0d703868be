package io.kvstore.core.clock;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when told to. Thread-safe. */
public final class ManualClock implements NanoClock {

    private final AtomicLong nanos;

    public ManualClock() {
        this(0);
    }

    public ManualClock(long startNanos) {
        this.nanos = new AtomicLong(startNanos);
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    /** Moves the clock forward. */
    public void advance(Duration d) {
        advanceNanos(d.toNanos());
    }

    /** Moves the clock forward by {@code n >= 0} nanoseconds and returns the new time. */
    public long advanceNanos(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("time cannot go backwards: " + n);
        }
        return nanos.addAndGet(n);
    }
}
