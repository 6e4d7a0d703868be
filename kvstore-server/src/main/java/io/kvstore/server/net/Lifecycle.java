package io.kvstore.server.net;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Server-wide drain state: the number of requests queued or running on all connections, and whether the server
 * is draining (new requests are answered SHUTTING_DOWN). Thread-safe.
 */
final class Lifecycle {

    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;

    void begin() {
        inFlight.incrementAndGet();
    }

    void end() {
        inFlight.decrementAndGet();
    }

    int inFlight() {
        return inFlight.get();
    }

    boolean draining() {
        return draining;
    }

    void drain() {
        draining = true;
    }
}
