package io.kvstore.core.store;

import java.util.concurrent.locks.LockSupport;

/**
 * How the engine waits for another thread's short step (a tier removal, a worker leaving an entry): spin first,
 * then yield, then park briefly, so a wait of microseconds costs no wake-up and a longer one no CPU.
 */
final class Backoff {

    private static final int SPINS = 64;
    private static final int YIELDS = 64;
    private static final long PARK_NANOS = 20_000;

    private Backoff() {
    }

    /** Pauses for the {@code attempt}-th time (0 first). */
    static void pause(int attempt) {
        if (attempt < SPINS) {
            Thread.onSpinWait();
        } else if (attempt < SPINS + YIELDS) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(PARK_NANOS);
        }
    }
}
