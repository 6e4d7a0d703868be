package io.kvstore.client;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** The client's bounded busy-wait ({@link ClientOptions#spinWait()}): spin before a blocking wait parks. */
final class SpinWait {

    private SpinWait() {
    }

    /** Spins on {@link Thread#onSpinWait} until {@code done} or {@code limit} has passed (0: returns at once). */
    static void spin(Duration limit, BooleanSupplier done) {
        long nanos = limit.toNanos();
        if (nanos <= 0) {
            return;
        }
        long until = System.nanoTime() + nanos;
        while (!done.getAsBoolean() && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }
}
