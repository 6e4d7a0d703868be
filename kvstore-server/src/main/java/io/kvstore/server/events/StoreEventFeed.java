package io.kvstore.server.events;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.StoreEvent;
import io.kvstore.core.store.StoreEventListener;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The engine's side of the event stream: a {@link StoreEventListener} that keeps the events a router cares about
 * (admitted, demoted, promoted, evicted, deleted) in a bounded lock-free queue for the publisher thread. It never
 * blocks and never waits for a lock: when the queue is full the event is dropped and counted (the publisher then
 * skips a sequence number, so subscribers see a gap). A PUT that carried token ids runs inside
 * {@link #withTokens}, which hands them to the ADMITTED event of that block on the same thread.
 */
final class StoreEventFeed implements StoreEventListener {

    /** The token ids of the block a thread is putting. */
    record Tokens(BlockKey key, int[] tokenIds, int blockSize) {
    }

    /** An event waiting for the publisher, with the token ids of an admitted block if its PUT carried them. */
    record Item(StoreEvent event, Tokens tokens) {
    }

    private final ConcurrentLinkedQueue<Item> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();
    private final ThreadLocal<Tokens> putting = new ThreadLocal<>();
    private final int capacity;

    StoreEventFeed(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public void onEvent(StoreEvent e) {
        switch (e.type()) {
            case ADMITTED, DEMOTED, PROMOTED, EVICTED, DELETED -> {
                if (size.incrementAndGet() > capacity) {
                    size.decrementAndGet();
                    dropped.increment();
                    return;
                }
                Tokens t = null;
                if (e.type() == StoreEvent.Type.ADMITTED) {
                    Tokens p = putting.get();
                    t = p != null && p.key().equals(e.meta().key()) ? p : null;
                }
                queue.offer(new Item(e, t));
            }
            default -> {
                // hits, rejections and corrupt copies change nothing a router knows (a corrupt copy's removal
                // arrives as an eviction)
            }
        }
    }

    /** Runs {@code put} (a store put of {@code key}) so that its ADMITTED event carries {@code tokenIds}. */
    <T> T withTokens(BlockKey key, int[] tokenIds, int blockSize, Supplier<T> put) {
        putting.set(new Tokens(key, tokenIds, blockSize));
        try {
            return put.get();
        } finally {
            putting.remove();
        }
    }

    /** The next event, or null if none is waiting. */
    Item poll() {
        Item i = queue.poll();
        if (i != null) {
            size.decrementAndGet();
        }
        return i;
    }

    /** Events waiting. */
    int size() {
        return size.get();
    }

    /** The queue's bound. */
    int capacity() {
        return capacity;
    }

    /** Events dropped because the queue was full, since start. */
    long dropped() {
        return dropped.sum();
    }
}
