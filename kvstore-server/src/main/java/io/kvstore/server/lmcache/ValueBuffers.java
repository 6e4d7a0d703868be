package io.kvstore.server.lmcache;

import io.kvstore.core.store.StagingBuffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;

import java.nio.ByteBuffer;

/**
 * The direct buffers that {@code lm://} PUT payloads are gathered in, reused from one PUT to the next.
 *
 * <p>A PUT's value is a staging buffer: the socket reads land in it, its CRC32C is computed, and the store copies it
 * into a tier, after which it is released. Netty allocates a buffer of several MiB outside its pools, and without
 * reflective access to {@code DirectByteBuffer} the JDK zeroes every new one: for a 4 MiB chunk that is one more
 * pass over the bytes than the copy the store makes, plus the page faults of fresh memory. LMCache sends chunks of
 * one size, so a buffer released by one PUT fits the next: this pool keeps released buffers by size class (a
 * multiple of {@value #GRANULE} bytes) and hands them out again without touching their bytes.
 *
 * <p>Bounded: at most {@code maxIdleBytes} of released buffers are kept; a buffer released beyond that is left to the
 * garbage collector (its memory is freed by the JDK's cleaner). Buffers in use are bounded by the connections'
 * flow control (maxInFlightBytesPerConnection), not here. Thread-safe: buffers are taken on event loops and
 * released on the blocking pool.
 */
final class ValueBuffers {

    /** Size classes are multiples of this. */
    static final int GRANULE = StagingBuffers.GRANULE;

    private final StagingBuffers memory;

    /** @param maxIdleBytes most bytes of released buffers kept for reuse */
    ValueBuffers(long maxIdleBytes) {
        this.memory = new StagingBuffers(maxIdleBytes);
    }

    /**
     * A direct buffer of at least {@code capacity} bytes, empty (reader and writer index 0), with a reference count
     * of 1; releasing it to 0 gives its memory back to the pool.
     */
    ByteBuf take(int capacity) {
        return new Pooled(memory, memory.take(capacity).clear());
    }

    /** Bytes of released buffers kept for reuse. */
    long idleBytes() {
        return memory.idleBytes();
    }

    static int sizeClass(int capacity) {
        return StagingBuffers.sizeClass(capacity);
    }

    /** A buffer over pooled memory: deallocation (reference count 0) returns the memory instead of freeing it. */
    private static final class Pooled extends UnpooledUnsafeDirectByteBuf {
        private final StagingBuffers pool;
        private final ByteBuffer memory;

        Pooled(StagingBuffers pool, ByteBuffer memory) {
            super(UnpooledByteBufAllocator.DEFAULT, memory, memory.capacity());
            this.pool = pool;
            this.memory = memory;
            clear();
        }

        @Override
        protected void deallocate() {
            pool.give(memory);
        }
    }
}
