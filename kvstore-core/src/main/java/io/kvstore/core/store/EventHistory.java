package io.kvstore.core.store;

import io.kvstore.core.key.BlockKey;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bounded memory of what happened to recently active blocks, for {@code kvctl explain}: the last
 * {@code eventsPerBlock} events of each of the {@code maxBlocks} most recently active blocks. Hits are folded
 * into one counter per block so that a hot block's history is not just a wall of hits.
 *
 * <p>Memory is bounded by {@code maxBlocks x eventsPerBlock} events. Thread-safe (synchronized; called under
 * the store's lock, read by admin requests).
 */
public final class EventHistory implements StoreEventListener {

    /** What is remembered of one block. */
    public record BlockHistory(BlockKey key, List<StoreEvent> events, long hits, long lastHitNanos) {
    }

    private final int maxBlocks;
    private final int eventsPerBlock;
    private final Map<BlockKey, Record> records;

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
    public synchronized void onEvent(StoreEvent event) {
        Record r = records.computeIfAbsent(event.meta().key(), k -> new Record());
        if (event.type() == StoreEvent.Type.HIT) {
            r.hits++;
            r.lastHitNanos = event.nanoTime();
            return;
        }
        if (r.events.size() == eventsPerBlock) {
            r.events.removeFirst();
        }
        r.events.addLast(event);
    }

    /** The remembered history of a block, or null if nothing is remembered. */
    public synchronized BlockHistory history(BlockKey key) {
        Record r = records.get(key);
        return r == null ? null : new BlockHistory(key, new ArrayList<>(r.events), r.hits, r.lastHitNanos);
    }

    /** Number of blocks remembered. */
    public synchronized int size() {
        return records.size();
    }

    private static final class Record {
        final Deque<StoreEvent> events = new ArrayDeque<>();
        long hits;
        long lastHitNanos;
    }
}
