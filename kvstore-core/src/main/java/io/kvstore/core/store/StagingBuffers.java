package io.kvstore.core.store;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers reused from one use to the next, by size class (a multiple of {@link #GRANULE} bytes): for values
 * received in a staging buffer (a {@link PutReservation} whose level has no in-place memory, a door's gather buffer).
 * A new direct buffer of several MiB is zeroed by the JDK and page-faulted in; a reused one is neither.
 *
 * <p>Bounded: at most {@code maxIdleBytes} of given-back buffers are kept; one given back beyond that is left to
 * the garbage collector. Buffers in use are bounded by their users. Thread-safe.
 */
public final class StagingBuffers {

    /** Size classes are multiples of this. */
    public static final int GRANULE = 256 << 10;

    private final long maxIdleBytes;
    private final Map<Integer, Queue<ByteBuffer>> idle = new ConcurrentHashMap<>();
    private final AtomicLong idleBytes = new AtomicLong();

    /** @param maxIdleBytes most bytes of given-back buffers kept for reuse */
    public StagingBuffers(long maxIdleBytes) {
        this.maxIdleBytes = maxIdleBytes;
    }

    /**
     * A direct buffer whose capacity is {@code capacity} rounded up to its size class, limit {@code capacity},
     * position 0; its bytes are whatever its last user left. Give it back with {@link #give}.
     */
    public ByteBuffer take(int capacity) {
        int size = sizeClass(capacity);
        Queue<ByteBuffer> q = idle.get(size);
        ByteBuffer memory = q == null ? null : q.poll();
        if (memory == null) {
            memory = ByteBuffer.allocateDirect(size);
        } else {
            idleBytes.addAndGet(-size);
        }
        return memory.clear().limit(Math.max(0, capacity));
    }

    /** Returns a buffer from {@link #take} (or a duplicate of one: the capacity decides its class). */
    public void give(ByteBuffer memory) {
        int size = memory.capacity();
        if (size % GRANULE != 0 || idleBytes.addAndGet(size) > maxIdleBytes) {
            if (size % GRANULE == 0) {
                idleBytes.addAndGet(-size);
            }
            return; // over the limit (or not ours): the JDK's cleaner frees it
        }
        idle.computeIfAbsent(size, s -> new ConcurrentLinkedQueue<>()).add(memory);
    }

    /** Bytes of given-back buffers kept for reuse. */
    public long idleBytes() {
        return idleBytes.get();
    }

    /** The capacity {@link #take} allocates for {@code capacity} bytes. */
    public static int sizeClass(int capacity) {
        if (capacity <= 0) {
            return GRANULE;
        }
        long rounded = ((long) capacity + GRANULE - 1) / GRANULE * GRANULE;
        return (int) Math.min(rounded, Integer.MAX_VALUE - GRANULE + 1);
    }
}
