package io.kvstore.tier.remote;

import io.kvstore.core.clock.NanoClock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A circuit breaker for one shard: CLOSED lets every call through and counts consecutive failures; after
 * {@code failureThreshold} of them it turns OPEN and refuses calls for {@code openNanos}; then the first caller
 * becomes the single HALF_OPEN probe: its success closes the breaker, its failure opens it again.
 *
 * <p>Thread-safety: lock-free; {@link #tryAcquire()} and the outcome reports may be called from any thread.
 * Time comes from an injected {@link NanoClock}, so tests drive it without sleeping.
 */
final class CircuitBreaker {

    /** The three states. */
    enum State { CLOSED, OPEN, HALF_OPEN }

    private final NanoClock clock;
    private final int failureThreshold;
    private final long openNanos;
    private final AtomicReference<State> state = new AtomicReference<>(State.CLOSED);
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong openedAt = new AtomicLong();
    private final AtomicLong opened = new AtomicLong();

    CircuitBreaker(NanoClock clock, int failureThreshold, long openMillis) {
        this.clock = clock;
        this.failureThreshold = failureThreshold;
        this.openNanos = TimeUnit.MILLISECONDS.toNanos(openMillis);
    }

    /** True if the caller may call the shard now; a caller let through must report success or failure. */
    boolean tryAcquire() {
        return switch (state.get()) {
            case CLOSED -> true;
            case HALF_OPEN -> false; // one probe is in flight
            case OPEN -> clock.nanoTime() - openedAt.get() >= openNanos
                    && state.compareAndSet(State.OPEN, State.HALF_OPEN);
        };
    }

    void onSuccess() {
        consecutiveFailures.set(0);
        State s = state.get();
        if (s != State.CLOSED) {
            state.compareAndSet(s, State.CLOSED);
        }
    }

    void onFailure() {
        State s = state.get();
        if (s == State.HALF_OPEN) {
            open(State.HALF_OPEN);
        } else if (s == State.CLOSED && consecutiveFailures.incrementAndGet() >= failureThreshold) {
            open(State.CLOSED);
        }
    }

    private void open(State from) {
        openedAt.set(clock.nanoTime());
        if (state.compareAndSet(from, State.OPEN)) {
            opened.incrementAndGet();
        }
    }

    State state() {
        return state.get();
    }

    /** Times this breaker went from closed or half-open to open. */
    long openedCount() {
        return opened.get();
    }
}
