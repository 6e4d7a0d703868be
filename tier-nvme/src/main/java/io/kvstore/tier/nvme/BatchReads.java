package io.kvstore.tier.nvme;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.tier.nvme.MetaDescriptor.Entry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The batched read of an {@link NvmeTier} ({@link NvmeTier#readAll}): the keys are split into batches of at most
 * {@code maxBatchKeys} keys and {@code maxBatchBytes} payload bytes, each batch is read in (segment, offset) order so
 * that neighbouring records are read in disk order, and several batches run in parallel on the tier's I/O pool while
 * the caller waits, so that a long prefix keeps more than one read in flight instead of paying one round trip per
 * block. A batch the pool refuses (its queue is full) is read in the caller's thread, and a read that is already on
 * a pool thread never waits for the pool. Results come back in the order of the keys; if a batch fails, the handles
 * of the others are closed and the failure is rethrown. The pool ({@code ioThreads} threads, {@code ioQueue} queued
 * batches) is this class's own.
 */
final class BatchReads {

    /**
     * Bytes read with one I/O at most when records lie back to back: the size of the I/Os with which `bench load`
     * measures the disk's raw read bandwidth.
     */
    static final int MAX_SPAN_BYTES = 2 << 20;

    private static final ThreadLocal<Boolean> IN_IO_POOL = ThreadLocal.withInitial(() -> false);

    private final NvmeTier tier;
    private final ThreadPoolExecutor io;

    BatchReads(NvmeTier tier) {
        this.tier = tier;
        NvmeTierConfig cfg = tier.cfg;
        AtomicInteger n = new AtomicInteger();
        this.io = new ThreadPoolExecutor(cfg.ioThreads(), cfg.ioThreads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(cfg.ioQueue()),
                r -> NvmeTier.daemon(poolThread(r), cfg.name() + "-io-" + n.incrementAndGet()));
    }

    /** No batch starts on the pool from now on. */
    void shutdown() {
        io.shutdown();
    }

    /** Waits (up to a minute) for the batches under way. */
    void awaitStopped() {
        NvmeTier.awaitQuietly(io);
    }

    /** {@code task} marked as running on the tier's I/O pool (its thread factory wraps every worker with this). */
    static Runnable poolThread(Runnable task) {
        return () -> {
            IN_IO_POOL.set(true); // readAll on a pool thread must not wait for the pool
            task.run();
        };
    }

    List<ReadResult> readAll(List<BlockKey> keys) {
        List<List<BlockKey>> batches;
        tier.lifecycle.readLock().lock();
        try {
            tier.checkOpen();
            batches = batches(keys);
            if (batches.size() == 1 || IN_IO_POOL.get()) {
                List<ReadResult> out = new ArrayList<>(keys.size());
                for (List<BlockKey> b : batches) {
                    readBatch(b, out);
                }
                return out;
            }
        } finally {
            tier.lifecycle.readLock().unlock();
        }
        return join(readInParallel(batches));
    }

    /** Splits keys into batches of at most {@code maxBatchKeys} keys and {@code maxBatchBytes} bytes. */
    private List<List<BlockKey>> batches(List<BlockKey> keys) {
        List<List<BlockKey>> out = new ArrayList<>();
        List<BlockKey> batch = new ArrayList<>();
        long batchBytes = 0;
        for (BlockKey k : keys) {
            Entry e = tier.index.get(k);
            long len = e == null ? 0 : e.payloadLength();
            if (!batch.isEmpty() && (batch.size() >= tier.cfg.maxBatchKeys()
                    || batchBytes + len > tier.cfg.maxBatchBytes())) {
                out.add(batch);
                batch = new ArrayList<>();
                batchBytes = 0;
            }
            batch.add(k);
            batchBytes += len;
        }
        if (!batch.isEmpty() || out.isEmpty()) {
            out.add(batch);
        }
        return out;
    }

    /** One future per batch, on the I/O pool; a batch the pool refuses runs on the caller's thread. */
    private List<CompletableFuture<List<ReadResult>>> readInParallel(List<List<BlockKey>> batches) {
        List<CompletableFuture<List<ReadResult>>> parts = new ArrayList<>(batches.size());
        for (List<BlockKey> b : batches) {
            CompletableFuture<List<ReadResult>> f = submit(() -> readBatchOpen(b));
            if (f.isCompletedExceptionally() && !tier.isClosed()) {
                f = CompletableFuture.completedFuture(readBatchOpen(b)); // queue full: read it here
            }
            parts.add(f);
        }
        return parts;
    }

    private List<ReadResult> readBatchOpen(List<BlockKey> b) {
        tier.lifecycle.readLock().lock();
        try {
            tier.checkOpen();
            List<ReadResult> out = new ArrayList<>(b.size());
            readBatch(b, out);
            return out;
        } finally {
            tier.lifecycle.readLock().unlock();
        }
    }

    /** Waits for every part, in order; if any failed, closes the handles of the others and rethrows. */
    private static List<ReadResult> join(List<CompletableFuture<List<ReadResult>>> parts) {
        List<ReadResult> out = new ArrayList<>();
        RuntimeException failure = null;
        for (CompletableFuture<List<ReadResult>> f : parts) {
            try {
                out.addAll(f.join());
            } catch (CompletionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        if (failure != null) {
            out.stream().filter(ReadResult::isHit).forEach(r -> r.handle().close());
            throw failure;
        }
        return out;
    }

    /**
     * Reads one batch in (segment, offset) order; records that lie back to back in one segment (a chain demoted
     * together is written so) are read with one I/O of up to {@link #MAX_SPAN_BYTES}. The caller holds the lifecycle
     * read lock.
     */
    private void readBatch(List<BlockKey> keys, List<ReadResult> out) {
        int n = keys.size();
        Integer[] order = new Integer[n];
        Entry[] entries = new Entry[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            entries[i] = tier.index.get(keys.get(i));
        }
        Arrays.sort(order, Comparator.comparing(i -> entries[i], Comparator.nullsFirst(
                Comparator.comparingLong(Entry::segment).thenComparingLong(Entry::offset))));
        ReadResult[] results = new ReadResult[n];
        try {
            for (int i = 0; i < n; ) {
                int end = spanEnd(entries, order, i);
                if (end - i == 1) {
                    results[order[i]] = tier.reader.read(keys.get(order[i]));
                } else {
                    tier.reader.readSpan(keys, entries, Arrays.asList(order).subList(i, end), results);
                }
                i = end;
            }
        } catch (RuntimeException e) {
            for (ReadResult r : results) {
                if (r != null && r.isHit()) {
                    r.handle().close();
                }
            }
            throw e;
        }
        out.addAll(Arrays.asList(results));
    }

    /** The end (exclusive) of the run of back-to-back records starting at {@code order[from]}. */
    private static int spanEnd(Entry[] entries, Integer[] order, int from) {
        Entry first = entries[order[from]];
        if (first == null) {
            return from + 1;
        }
        long next = first.offset() + first.padded();
        int i = from + 1;
        for (; i < order.length; i++) {
            Entry e = entries[order[i]];
            if (e == null || e.segment() != first.segment() || e.offset() != next
                    || next + e.padded() - first.offset() > MAX_SPAN_BYTES) {
                break;
            }
            next += e.padded();
        }
        return i;
    }

    /** Runs {@code op} on the tier's I/O pool; a full pool fails the future at once (counted as busy). */
    private <T> CompletableFuture<T> submit(Supplier<T> op) {
        tier.checkOpen();
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            io.execute(() -> {
                try {
                    f.complete(op.get());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            tier.counters.busy.increment();
            f.completeExceptionally(tier.isClosed() ? new TierClosedException("tier " + tier.cfg.name()) : e);
        }
        return f;
    }
}
