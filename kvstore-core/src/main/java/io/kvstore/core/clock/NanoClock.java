package io.kvstore.core.clock;

/**
 * A source of monotonic time in nanoseconds, injected wherever time matters so that tests and the simulator
 * can run on simulated time that never sleeps.
 */
@FunctionalInterface
public interface NanoClock {

    /** Monotonic nanoseconds; only differences between two readings mean anything. */
    long nanoTime();

    /** The JVM's {@link System#nanoTime()}. */
    static NanoClock system() {
        return System::nanoTime;
    }
}
