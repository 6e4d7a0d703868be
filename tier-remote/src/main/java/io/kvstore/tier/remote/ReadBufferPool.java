package io.kvstore.tier.remote;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded pool of direct buffers into which remote reads assemble payloads. Buffers come in power-of-two
 * capacity classes (4 KiB up) and are reused; the sum of the capacities of buffers handed out and not yet
 * released never exceeds {@code limitBytes}, so a burst of readers that hold handles cannot exhaust direct
 * memory: past the limit {@link #acquire} answers null and the read becomes a miss.
 *
 * <p>Thread-safety: all methods may be called concurrently. Ownership: a buffer from {@link #acquire} belongs to
 * the caller until it passes it to {@link #release} exactly once.
 */
final class ReadBufferPool {

    private static final int MIN_SHIFT = 12;
    private static final int CLASSES = 31 - MIN_SHIFT + 1;

    private final long limitBytes;
    private final AtomicLong inUse = new AtomicLong();
    private final AtomicLong cached = new AtomicLong();
    private final LongAdder exhausted = new LongAdder();
    @SuppressWarnings("unchecked")
    private final ConcurrentLinkedQueue<ByteBuffer>[] free = new ConcurrentLinkedQueue[CLASSES];

    ReadBufferPool(long limitBytes) {
        this.limitBytes = limitBytes;
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new ConcurrentLinkedQueue<>();
        }
    }

    /** A cleared direct buffer with limit {@code length}, or null if the pool's limit would be passed. */
    ByteBuffer acquire(int length) {
        int cls = classOf(length);
        long cap = 1L << (cls + MIN_SHIFT);
        long u;
        do {
            u = inUse.get();
            if (u + cap > limitBytes) {
                exhausted.increment();
                return null;
            }
        } while (!inUse.compareAndSet(u, u + cap));
        ByteBuffer b = free[cls].poll();
        if (b != null) {
            cached.addAndGet(-cap);
        } else {
            b = ByteBuffer.allocateDirect((int) cap);
        }
        b.clear().limit(length);
        return b;
    }

    /** Returns a buffer from {@link #acquire}; it is kept for reuse while the cached total stays under the limit. */
    void release(ByteBuffer b) {
        int cls = classOf(b.capacity());
        long cap = b.capacity();
        inUse.addAndGet(-cap);
        if (cached.addAndGet(cap) <= limitBytes) {
            free[cls].offer(b);
        } else {
            cached.addAndGet(-cap);
        }
    }

    private static int classOf(int length) {
        int n = Math.max(length, 1 << MIN_SHIFT);
        return 32 - Integer.numberOfLeadingZeros(n - 1) - MIN_SHIFT;
    }

    long limitBytes() {
        return limitBytes;
    }

    long inUseBytes() {
        return inUse.get();
    }

    long exhaustedCount() {
        return exhausted.sum();
    }
}
