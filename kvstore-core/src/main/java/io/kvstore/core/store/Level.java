package io.kvstore.core.store;

import io.kvstore.core.tier.Tier;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** One level of the store: its tier, the gate to its policy, watermarks in bytes, and its counters. */
final class Level {

    final int index;
    final TierSpec spec;
    final Tier tier;
    final PolicyGate gate;
    final long highBytes;
    final long lowBytes;
    final LongAdder hits = new LongAdder();
    final LongAdder admitted = new LongAdder();
    final LongAdder admittedBytes = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder demotedIn = new LongAdder();
    final LongAdder demotedInBytes = new LongAdder();
    final LongAdder demotedOut = new LongAdder();
    final LongAdder cleanDemotions = new LongAdder();
    final LongAdder evicted = new LongAdder();
    final LongAdder evictedBytes = new LongAdder();
    final LongAdder promotedIn = new LongAdder();
    final LongAdder promotedInBytes = new LongAdder();
    final LongAdder corrupt = new LongAdder();
    final LongAdder tierDropped = new LongAdder();
    final LongAdder copiesDropped = new LongAdder();
    final LongAdder demotionFailures = new LongAdder();
    /** Whether promoting this level's hits pays (used where the level keeps promoted copies). */
    final PromotionYield promotionYield = new PromotionYield();
    /** Victims chosen here and being moved out, queued for the demoters included. */
    final AtomicInteger movesInFlight = new AtomicInteger();
    /** Victims chosen here whose move a demoter (or a writer that needs their room) has yet to start. */
    final ConcurrentLinkedQueue<Entry> demotions = new ConcurrentLinkedQueue<>();
    /** Demoter tasks working on {@link #demotions}. */
    final AtomicInteger demoters = new AtomicInteger();
    /**
     * How long a block sat unread here before it was chosen as a victim, smoothed over recent victims (an
     * exponentially weighted mean, 1/16 per victim); {@link Long#MAX_VALUE} until the first victim. Updated without
     * a lock: a lost update among racing movers only delays the mean by one sample.
     */
    private volatile long evictionAgeNanos = Long.MAX_VALUE;

    Level(int index, TierSpec spec) {
        this.index = index;
        this.spec = spec;
        this.tier = spec.tier();
        this.gate = new PolicyGate(spec.policy());
        long cap = tier.capacityBytes();
        this.highBytes = (long) Math.floor(cap * spec.highWatermark());
        this.lowBytes = (long) Math.floor(cap * spec.lowWatermark());
    }

    String name() {
        return tier.name();
    }

    /** Folds one victim's time since its last read (or its arrival) into {@link #evictionAgeNanos()}. */
    void recordEvictionAge(long idleNanos) {
        long idle = Math.max(0, idleNanos);
        long mean = evictionAgeNanos;
        evictionAgeNanos = mean == Long.MAX_VALUE ? idle : mean + (idle - mean) / 16;
    }

    /**
     * The smoothed time a block stays here unread before eviction; {@link Long#MAX_VALUE} while nothing has been
     * evicted. Under recency a block hits here if and only if it is read more often than this (the cache's
     * characteristic time); operators read it as how long the tier keeps what nobody asks for.
     */
    long evictionAgeNanos() {
        return evictionAgeNanos;
    }

    LevelStats snapshot() {
        return new LevelStats(tier.stats(), gate.name(), hits.sum(), admitted.sum(), rejected.sum(), demotedIn.sum(),
                demotedOut.sum(), evicted.sum(), evictedBytes.sum(), promotedIn.sum(), corrupt.sum(),
                admittedBytes.sum(), demotedInBytes.sum(), promotedInBytes.sum(), cleanDemotions.sum(),
                tierDropped.sum(), copiesDropped.sum(), evictionAgeNanos, promotionYield.copyHits(),
                promotionYield.skipped(), gate.details());
    }
}
