package io.kvstore.tier.hbm;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One direction of the link in modelled time: transfers queue behind each other for the wire (the bandwidth
 * term) and each adds its fixed latency on top. Thread-safe.
 */
final class LinkLane {

    private final PcieLinkModel model;
    private final TransferDirection direction;
    private final AtomicLong busyUntil = new AtomicLong(Long.MIN_VALUE);
    final LongAdder transfers = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final LongAdder transferNanos = new LongAdder();
    final LongAdder queueNanos = new LongAdder();

    LinkLane(PcieLinkModel model, TransferDirection direction) {
        this.model = model;
        this.direction = direction;
    }

    /**
     * Books a transfer of {@code n} bytes starting no earlier than {@code now}; returns the modelled time it
     * completes (queueing behind earlier transfers, plus latency and the bandwidth term).
     */
    long book(long now, long n) {
        long wire = model.wireNanos(direction, n);
        long start;
        long prev;
        do {
            prev = busyUntil.get();
            start = Math.max(now, prev);
        } while (!busyUntil.compareAndSet(prev, start + wire));
        transfers.increment();
        bytes.add(n);
        transferNanos.add(model.latencyNanos(direction) + wire);
        queueNanos.add(start - now);
        return start + wire + model.latencyNanos(direction);
    }
}
