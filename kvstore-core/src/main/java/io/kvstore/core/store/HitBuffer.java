package io.kvstore.core.store;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * A bounded, lossy, many-producer one-consumer ring of recent reads (caffeine's read buffer): readers record a hit
 * with one CAS and never wait; the policy's owner drains it under its lock. When the ring is full a hit is
 * dropped, which only makes the policy's recency slightly less exact; a reader is never held up by the policy.
 *
 * @param <E> element type
 */
final class HitBuffer<E> {

    private final AtomicReferenceArray<E> ring;
    private final int mask;
    private final AtomicLong tail = new AtomicLong();
    private volatile long head;

    /** @param capacity a power of two */
    HitBuffer(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two, was " + capacity);
        }
        this.ring = new AtomicReferenceArray<>(capacity);
        this.mask = capacity - 1;
    }

    /** Records {@code e}; false if the ring was full and it was dropped. Any thread; never blocks. */
    boolean offer(E e) {
        for (;;) {
            long t = tail.get();
            if (t - head >= ring.length()) {
                return false;
            }
            if (tail.compareAndSet(t, t + 1)) {
                ring.lazySet((int) (t & mask), e);
                return true;
            }
        }
    }

    /** Elements recorded and not yet drained (approximate). */
    int size() {
        return (int) (tail.get() - head);
    }

    /** Hands every published element to {@code sink}, oldest first. One thread at a time (the owner's lock). */
    void drain(Consumer<? super E> sink) {
        long h = head;
        long t = tail.get();
        while (h < t) {
            int i = (int) (h & mask);
            E e = ring.get(i);
            if (e == null) {
                break; // claimed but not yet written: the next drain takes it
            }
            ring.lazySet(i, null);
            sink.accept(e);
            h++;
        }
        head = h;
    }
}
