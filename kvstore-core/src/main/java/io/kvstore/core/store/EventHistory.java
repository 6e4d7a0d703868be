package io.kvstore.core.store;

import io.kvstore.core.key.BlockKey;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded memory of what happened to recently active blocks, for {@code kvctl explain}: the last
 * {@code eventsPerBlock} events of each of the {@code maxBlocks} most recently active blocks. Hits are folded
 * into one counter per block so that a hot block's history is not just a wall of hits.
 *
 * <p>Memory is bounded by {@code maxBlocks x eventsPerBlock} events, plus {@link #PENDING_LIMIT} events not yet
 * filed. Thread-safe, and no reporter ever waits: events are reported by every thread that changes the store,
 * event loops among them, so {@link #onEvent} only appends the event to a lock-free queue and files what is
 * queued if the lock is free at once (the next reporter, or a query, files the rest: {@link #history} and {@link
 * #size} file everything queued before they answer). A full queue drops the event and counts it ({@link
 * #dropped}); a hit is only counted if the lock is free at once, so a hit count under contention is a lower bound.
 * (Before, a non-hit event took the lock and waited for it: in a JFR recording of a busy daemon an event loop
 * parked 4.3 ms there behind a preempted holder.)
 */
public final class EventHistory implements StoreEventListener {

    /** What is remembered of one block. */
    public record BlockHistory(BlockKey key, List<StoreEvent> events, long hits, long lastHitNanos) {
    }

    private final int maxBlocks;
    private final int eventsPerBlock;
    private final Map<BlockKey, Record> records;
    /** Guards {@code records}; package-private for tests that hold it. */
    final ReentrantLock lock = new ReentrantLock();
    /** Most events reported and not yet filed; beyond it an event is dropped. */
    static final int PENDING_LIMIT = 4096;
    private final Queue<StoreEvent> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingCount = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();

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
        if (event.type() == StoreEvent.Type.HIT) {
            if (lock.tryLock()) {
                try {
                    fileQueued();
                    Record r = records.computeIfAbsent(event.meta().key(), k -> new Record());
                    r.hits++;
                    r.lastHitNanos = event.nanoTime();
                } finally {
                    lock.unlock();
                }
            }
            return;
        }
        if (pendingCount.incrementAndGet() > PENDING_LIMIT) {
            pendingCount.decrementAndGet();
            dropped.increment();
            return;
        }
        pending.add(event);
        if (lock.tryLock()) {
            try {
                fileQueued();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Events dropped because {@link #PENDING_LIMIT} were queued (their reporters outran every filer). */
    public long dropped() {
        return dropped.sum();
    }

    /** Files the queued events, oldest first. Under the lock. */
    private void fileQueued() {
        for (StoreEvent e; (e = pending.poll()) != null; ) {
            pendingCount.decrementAndGet();
            Record r = records.computeIfAbsent(e.meta().key(), k -> new Record());
            if (r.events.size() == eventsPerBlock) {
                r.events.removeFirst();
            }
            r.events.addLast(e);
        }
    }

    /** The remembered history of a block, or null if nothing is remembered. */
    public BlockHistory history(BlockKey key) {
        lock.lock();
        try {
            fileQueued();
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
            fileQueued();
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
