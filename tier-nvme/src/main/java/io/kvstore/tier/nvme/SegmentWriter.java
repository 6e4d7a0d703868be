package io.kvstore.tier.nvme;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one thread that issues a {@link SegmentStore}'s record writes.
 *
 * <h2>Why one thread</h2>
 * Appends to the active segment extend its file, and ext4 (like most Linux filesystems) holds the inode's lock
 * exclusively for a direct write that extends a file, until the I/O completes. Writers in several threads therefore
 * ran one after another anyway, and each waiting thread spun on the lock (a sixth of the daemon's CPU in a profile
 * of PUTs into full tiers), with the device idle between one write's completion and the next thread's wake-up. Here
 * callers hand their padded record to this thread and wait; it takes everything queued, orders it by segment and
 * offset, and writes each run of contiguous records (consecutive appends are contiguous: the store reserves offsets
 * in order) with one gathering {@code pwritev}-like write of up to {@value #MAX_RUN_BYTES} bytes. The device sees
 * back-to-back writes, several records at a time, as a raw sequential writer would.
 *
 * <p>A caller returns when its own record is on the device (as far as a direct write goes: no fsync), exactly as
 * with its own {@code pwrite}; a failed run fails every record in it. The thread is never interrupted (an interrupt
 * would close the channel under everyone); {@link #close} stops it once the queue is empty.
 */
final class SegmentWriter implements AutoCloseable {

    /** Writes {@code buffers} (aligned, padded records) back to back at {@code offset} of segment {@code segment}. */
    interface RunWrite {
        void write(long segment, long offset, ByteBuffer[] buffers) throws IOException;
    }

    /** Largest run written at once. */
    static final long MAX_RUN_BYTES = 8L << 20;
    /** Most records in one run (at most three parts each: well under the kernel's IOV_MAX of 1024). */
    static final int MAX_RUN_RECORDS = 64;

    /** One record: its parts (each position 0 to limit, aligned) written back to back from {@code offset}. */
    private record Op(long segment, long offset, ByteBuffer[] parts, long bytes, CompletableFuture<Void> done) {
        long end() {
            return offset + bytes;
        }
    }

    private final RunWrite run;
    private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    /** Runs written, and the records in them (their ratio: how many records the device sees per write). */
    private final LongAdder runs = new LongAdder();
    private final LongAdder runRecords = new LongAdder();
    private final Thread thread;
    private volatile boolean closed;

    SegmentWriter(String name, RunWrite run) {
        this.run = run;
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues {@code parts} (each position 0 to limit, together a whole padded record) to be written back to back at
     * {@code offset} of {@code segment}; the future completes when they are written (exceptionally with an
     * {@link IOException} if not). Records of a segment are written in the order they were queued. The caller's
     * buffers stay in use until the future completes.
     */
    CompletableFuture<Void> submit(long segment, long offset, ByteBuffer... parts) {
        if (closed) {
            return CompletableFuture.failedFuture(new IOException("the segment writer is closed"));
        }
        long bytes = 0;
        for (ByteBuffer b : parts) {
            bytes += b.remaining();
        }
        Op op = new Op(segment, offset, parts, bytes, new CompletableFuture<>());
        queue.add(op);
        if (closed && queue.remove(op)) { // closed meanwhile and not taken: it will not be written
            return CompletableFuture.failedFuture(new IOException("the segment writer is closed"));
        }
        return op.done();
    }

    /** Waits, uninterruptibly, for a {@link #submit}ted record to be written; throws what failed it. */
    static void await(CompletableFuture<Void> written) throws IOException {
        try {
            written.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException(io.getMessage(), io);
            }
            throw e;
        }
    }

    private void loop() {
        List<Op> batch = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            Op first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                continue; // never interrupted on purpose; keep serving
            }
            if (first == null) {
                continue;
            }
            batch.clear();
            batch.add(first);
            queue.drainTo(batch, 4 * MAX_RUN_RECORDS);
            batch.sort(Comparator.comparingLong(Op::segment).thenComparingLong(Op::offset)); // stable: queue order
            for (int i = 0; i < batch.size(); ) {
                int j = i + 1;
                long bytes = batch.get(i).bytes();
                while (j < batch.size() && j - i < MAX_RUN_RECORDS && batch.get(j).segment() == batch.get(i).segment()
                        && batch.get(j).offset() == batch.get(j - 1).end()
                        && bytes + batch.get(j).bytes() <= MAX_RUN_BYTES) {
                    bytes += batch.get(j).bytes();
                    j++;
                }
                writeRun(batch.subList(i, j));
                i = j;
            }
        }
    }

    private void writeRun(List<Op> ops) {
        runs.increment();
        runRecords.add(ops.size());
        int n = 0;
        for (Op op : ops) {
            n += op.parts().length;
        }
        ByteBuffer[] buffers = new ByteBuffer[n];
        int k = 0;
        for (Op op : ops) {
            for (ByteBuffer b : op.parts()) {
                buffers[k++] = b;
            }
        }
        Throwable failure = null;
        try {
            run.write(ops.get(0).segment(), ops.get(0).offset(), buffers);
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
        }
        for (Op op : ops) {
            if (failure == null) {
                op.done().complete(null);
            } else {
                op.done().completeExceptionally(failure instanceof UncheckedIOException u ? u.getCause() : failure);
            }
        }
    }

    /** Adds {@code write_runs} and {@code write_run_records} to a tier's figures. */
    void stats(Map<String, Long> d) {
        d.put("write_runs", runs.sum());
        d.put("write_run_records", runRecords.sum());
    }

    /** Writes what is queued, then stops the thread. Idempotent. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Op op; (op = queue.poll()) != null; ) {
            op.done().completeExceptionally(new IOException("the segment writer is closed"));
        }
    }
}
