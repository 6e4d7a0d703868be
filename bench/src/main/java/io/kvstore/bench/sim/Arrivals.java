package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;
import io.kvstore.core.clock.ManualClock;

import java.util.function.DoubleConsumer;

/**
 * The requests of a trace arriving in order on a simulated clock, as both replayers walk them: each arrival moves
 * the clock to the request's timestamp (never back) and reports progress about a hundred times per run.
 */
final class Arrivals {

    private final Trace trace;
    private final ManualClock clock;
    private final DoubleConsumer progress;
    private final long startNanos;
    private final int step;

    Arrivals(Trace trace, ManualClock clock, DoubleConsumer progress) {
        this.trace = trace;
        this.clock = clock;
        this.progress = progress;
        this.startNanos = clock.nanoTime();
        this.step = Math.max(1, trace.requests() / 100);
    }

    /** Request {@code r} arrives. */
    void arrive(int r) {
        if (r % step == 0) {
            progress.accept((double) r / trace.requests());
        }
        long due = startNanos + trace.timeMillis(r) * 1_000_000L;
        if (due > clock.nanoTime()) {
            clock.advanceNanos(due - clock.nanoTime());
        }
    }
}
