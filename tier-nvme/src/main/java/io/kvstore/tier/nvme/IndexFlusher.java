package io.kvstore.tier.nvme;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps an {@link NvmeTier}'s index durable without a write-ahead log: after every {@code writeBufferBytes} of
 * payload put, one background thread flushes RocksDB together with a checkpoint ({@link IndexStore.Checkpoint}: the
 * oldest segment that may hold records the flushed index lacks), so that an open after a crash scans only the log's
 * tail ({@link Recovery}). {@link #flush} also runs on demand (close, {@link NvmeTier#flush}, compaction, recovery).
 * Thread-safe.
 */
final class IndexFlusher {

    private static final Logger LOG = LoggerFactory.getLogger(IndexFlusher.class);

    private final NvmeTier tier;
    /** Payload bytes put since the last flush. */
    private final AtomicLong unflushed = new AtomicLong();
    private final ExecutorService thread;
    private final Object flushLock = new Object();
    private final LongAdder flushes = new LongAdder();
    private CompletableFuture<Void> running = CompletableFuture.completedFuture(null);
    private volatile boolean stopped;

    IndexFlusher(NvmeTier tier) {
        this.tier = tier;
        this.thread = Executors.newSingleThreadExecutor(r -> NvmeTier.daemon(r, tier.cfg.name() + "-maintenance"));
    }

    /** A put stored {@code payloadBytes}: starts a background flush once enough have gathered. */
    void added(long payloadBytes) {
        if (unflushed.addAndGet(payloadBytes) >= tier.cfg.effectiveWriteBufferBytes()) {
            schedule();
        }
    }

    /** Starts a background flush unless one is running. */
    private synchronized void schedule() {
        if (!running.isDone() || stopped) {
            return;
        }
        try {
            running = CompletableFuture.runAsync(this::flushIfDue, thread);
        } catch (RejectedExecutionException e) {
            // closing: close flushes anyway
        }
    }

    private void flushIfDue() {
        try {
            if (unflushed.get() >= tier.cfg.effectiveWriteBufferBytes() && !stopped) {
                flush();
            }
        } catch (IOException | RuntimeException e) {
            if (!stopped) {
                tier.counters.errors.increment();
                LOG.warn("{}: index flush failed: {}", tier.cfg.name(), e.toString());
            }
        }
    }

    /**
     * Makes the index durable up to a checkpoint: notes the oldest segment that may hold records not yet indexed,
     * syncs the active segment, puts the checkpoint and flushes the memtable. Every record in a segment below the
     * checkpoint had its index record put before the checkpoint, so the flush makes it durable too.
     */
    void flush() throws IOException {
        synchronized (flushLock) { // not this object's monitor: schedule (on the put path) takes that
            unflushed.set(0);
            IndexStore.Checkpoint c = new IndexStore.Checkpoint(tier.segments.tailFrom(), tier.segments.nextId());
            tier.segments.force();
            tier.durableIndex.writeCheckpoint(c);
            tier.durableIndex.flush();
            flushes.increment();
        }
    }

    /** Flushes done so far. */
    long flushes() {
        return flushes.sum();
    }

    /** No background flush starts from now on. */
    void shutdown() {
        stopped = true;
        thread.shutdown();
    }

    /** Waits (up to a minute) for a background flush under way. */
    void awaitStopped() {
        NvmeTier.awaitQuietly(thread);
    }
}
