package io.kvstore.core.store;

import io.kvstore.core.clock.NanoClock;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/** Builds a {@link TieredStore} ({@link TieredStore#builder()}). */
public final class TieredStoreBuilder {
    private final List<TierSpec> specs = new ArrayList<>();
    private NanoClock clock = NanoClock.system();
    private StoreEventListener listener = StoreEventListener.NONE;
    private Executor promotions = Runnable::run;
    private Executor demoter;
    private int maxDemoters;
    private boolean forgetCold = true;
    private java.time.Duration coldSweepInterval = java.time.Duration.ofSeconds(1);

    /** Adds the next level down. */
    public TieredStoreBuilder tier(TierSpec spec) {
        specs.add(Objects.requireNonNull(spec));
        return this;
    }

    /** The clock for leases and event times; the system clock by default. */
    public TieredStoreBuilder clock(NanoClock clock) {
        this.clock = clock;
        return this;
    }

    /** Receives every store event, from any thread; none by default. Must not block. */
    public TieredStoreBuilder listener(StoreEventListener listener) {
        this.listener = listener;
        return this;
    }

    /**
     * Runs promotions of hits. By default the thread of the get that earned it (deterministic, for tests and
     * the simulator); a daemon passes a small bounded pool so that a get served on an event loop never copies,
     * and a pool that refuses when full ({@link java.util.concurrent.RejectedExecutionException}) skips the
     * promotion.
     */
    public TieredStoreBuilder promotions(Executor promotions) {
        this.promotions = promotions;
        return this;
    }

    /**
     * Moves the victims of writes out of every level but the last on {@code demoter}, by at most
     * {@code maxConcurrent} tasks at once, instead of in the writer's thread: a write then waits only for its
     * own bytes while the levels above the last keep headroom (a high watermark under 1) for the victims on
     * their way down. By default (no demoter) every move runs in the thread that caused it.
     */
    public TieredStoreBuilder demoter(Executor demoter, int maxConcurrent) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent must be >= 1, was " + maxConcurrent);
        }
        this.demoter = Objects.requireNonNull(demoter, "demoter");
        this.maxDemoters = maxConcurrent;
        return this;
    }

    /**
     * Whether blocks whose only copy is on a last level that evicts itself and keeps no policy state (the NVMe tier
     * with {@code nvmePolicy=tier}) leave the directory while nothing holds them, the tier's own index being their
     * record ({@link ColdLevel}); true by default. False keeps an entry for every block (about 62 bytes more each).
     */
    public TieredStoreBuilder forgetColdBlocks(boolean forget) {
        this.forgetCold = forget;
        return this;
    }

    /**
     * How often the store's own thread forgets the entries of idle blocks left only on the cold level ({@link
     * #forgetColdBlocks}); every second by default. {@link java.time.Duration#ZERO} starts no thread: the caller
     * calls {@link TieredStore#forgetIdle()} itself (tests, simulations with their own clock).
     */
    public TieredStoreBuilder coldSweepInterval(java.time.Duration interval) {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("coldSweepInterval must not be negative, was " + interval);
        }
        this.coldSweepInterval = interval;
        return this;
    }

    /** Applies a change to this builder (for helpers that configure several things). */
    public TieredStoreBuilder with(Consumer<TieredStoreBuilder> change) {
        change.accept(this);
        return this;
    }

    /** Builds the store and rebuilds its directory from what the tiers hold. */
    public TieredStore build() {
        return new TieredStore(specs, clock, listener, promotions, demoter, maxDemoters, forgetCold,
                coldSweepInterval);
    }
}
