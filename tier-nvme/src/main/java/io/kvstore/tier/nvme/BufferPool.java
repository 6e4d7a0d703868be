package io.kvstore.tier.nvme;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded pool of direct buffers in size classes of 64 KiB steps, so that reading or writing a MiB-sized record
 * costs no allocation, no zeroing and no page faults in the steady state (a 2 MiB block and its 60-byte header
 * take a 2 MiB + 64 KiB buffer). Buffers are 4 KiB aligned, as O_DIRECT reads and writes of segment files
 * need. At most {@code maxPooledBytes} are kept idle; a buffer released beyond that is
 * left to the garbage collector.
 *
 * <p>Ownership: {@link #acquire} hands the buffer to the caller, who gives it back once with {@link #release}
 * (for a read, when the last block handle over it is closed). Thread-safe.
 */
final class BufferPool {

    private static final int STEP = 64 * 1024;

    private final Map<Integer, Queue<ByteBuffer>> classes = new ConcurrentHashMap<>();
    private final AtomicLong pooledBytes = new AtomicLong();
    private final long maxPooledBytes;
    private final LongAdder allocations = new LongAdder();

    BufferPool(long maxPooledBytes) {
        this.maxPooledBytes = maxPooledBytes;
    }

    private static int classCapacity(int size) {
        long c = ((Math.max(1L, size) + STEP - 1) / STEP) * STEP;
        return (int) Math.min(Integer.MAX_VALUE, c);
    }

    /** A direct buffer with at least {@code size} bytes, position 0, limit {@code size}. */
    ByteBuffer acquire(int size) {
        int cap = classCapacity(size);
        Queue<ByteBuffer> q = classes.get(cap);
        ByteBuffer b = q == null ? null : q.poll();
        if (b != null) {
            pooledBytes.addAndGet(-cap);
        } else {
            allocations.increment();
            // 4 KiB aligned (O_DIRECT needs aligned memory), capacity exactly the class size
            b = ByteBuffer.allocateDirect(cap + SegmentStore.ALIGN).alignedSlice(SegmentStore.ALIGN).limit(cap)
                    .slice();
        }
        b.clear().limit(size);
        return b;
    }

    /** Gives a buffer from {@link #acquire} back. */
    void release(ByteBuffer b) {
        int cap = b.capacity();
        if (cap % STEP != 0) {
            return;
        }
        if (pooledBytes.addAndGet(cap) <= maxPooledBytes) {
            classes.computeIfAbsent(cap, c -> new ConcurrentLinkedQueue<>()).offer(b);
        } else {
            pooledBytes.addAndGet(-cap);
        }
    }

    long allocations() {
        return allocations.sum();
    }

    long pooledBytes() {
        return pooledBytes.get();
    }
}
