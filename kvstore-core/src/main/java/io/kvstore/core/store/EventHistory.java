package io.kvstore.core.store;

import io.kvstore.core.key.BlockKey;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded memory of what happened to recently active blocks, for {@code kvctl explain}: the last
 * {@code eventsPerBlock} events of each of the {@code maxBlocks} most recently active blocks. Hits are folded
 * into one counter per block so that a hot block's history is not just a wall of hits.
 *
 * <p>Memory is bounded by {@code maxBlocks x eventsPerBlock} events. Thread-safe: one short lock; a hit (reported
 * by readers, possibly on an event loop) is only counted if the lock is free at once, so a reader never waits
 * for it, and a hit count under contention is a lower bound.
 */
public final class EventHistory implements StoreEventListener {

    /** What is remembered of one block. */
    public record BlockHistory(BlockKey key, List<StoreEvent> events, long hits, long lastHitNanos) {
    }

    private final int maxBlocks;
    private final int eventsPerBlock;
    private final Map<BlockKey, Record> records;
    private final ReentrantLock lock = new ReentrantLock();

    /**
     * @param maxBlocks      blocks remembered; the least recently active is forgotten first
     * @param eventsPerBlock events kept per block; the oldest is dropped first
     */
    public EventHistory(int maxBlocks, int eventsPerBlock) {
        if (maxBlocks < 1 || eventsPerBlock < 1) {
            throw new IllegalArgumentException("maxBlocks and eventsPerBlock must be >= 1");
        }
        this.maxBlocks = maxBlocks;
        this.eventsPerBlock = eventsPerBlock;
        this.records = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<BlockKey, Record> eldest) {
                return size() > EventHistory.this.maxBlocks;
            }
        };
    }

    @Override
    public void onEvent(StoreEvent event) {
        boolean hit = event.type() == StoreEvent.Type.HIT;
        if (hit) {
            if (!lock.tryLock()) {
                return;
            }
        } else {
            lock.lock();
        }
        try {
            Record r = records.computeIfAbsent(event.meta().key(), k -> new Record());
            if (hit) {
                r.hits++;
                r.lastHitNanos = event.nanoTime();
                return;
            }
            if (r.events.size() == eventsPerBlock) {
                r.events.removeFirst();
            }
            r.events.addLast(event);
        } finally {
            lock.unlock();
        }
    }

    /** The remembered history of a block, or null if nothing is remembered. */
    public BlockHistory history(BlockKey key) {
        lock.lock();
        try {
            Record r = records.get(key);
            return r == null ? null : new BlockHistory(key, new ArrayList<>(r.events), r.hits, r.lastHitNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Number of blocks remembered. */
    public int size() {
        lock.lock();
        try {
            return records.size();
        } finally {
            lock.unlock();
        }
    }

    private static final class Record {
        final Deque<StoreEvent> events = new ArrayDeque<>();
        long hits;
        long lastHitNanos;
    }
}
