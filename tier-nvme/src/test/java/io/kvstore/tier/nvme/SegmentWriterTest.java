package io.kvstore.tier.nvme;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The segment writer: every record written exactly where asked, contiguous records in one run, failures per run. */
@Timeout(60)
class SegmentWriterTest {

    record Run(long segment, long offset, int records, long bytes) {
    }

    @Test
    void concurrentAppendsAreWrittenWhereAskedAndContiguousOnesTogether() throws Exception {
        byte[] file = new byte[64 * 4096];
        ConcurrentLinkedQueue<Run> runs = new ConcurrentLinkedQueue<>();
        CountDownLatch firstRunStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (SegmentWriter w = new SegmentWriter("test-writer", (segment, offset, buffers) -> {
            firstRunStarted.countDown();
            try {
                release.await(); // hold the first run so that the others queue up behind it
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            long pos = offset;
            long bytes = 0;
            for (ByteBuffer b : buffers) {
                int n = b.remaining();
                b.get(file, (int) pos, n);
                pos += n;
                bytes += n;
            }
            runs.add(new Run(segment, offset, buffers.length, bytes));
        })) {
            List<Thread> writers = new ArrayList<>();
            AtomicInteger failures = new AtomicInteger();
            for (int i = 0; i < 64; i++) {
                int slot = i;
                Thread t = new Thread(() -> {
                    ByteBuffer rec = ByteBuffer.allocateDirect(4096);
                    while (rec.hasRemaining()) {
                        rec.put((byte) slot);
                    }
                    rec.flip();
                    try {
                        SegmentWriter.await(w.submit(7, slot * 4096L, rec));
                    } catch (IOException e) {
                        failures.incrementAndGet();
                    }
                });
                writers.add(t);
                t.start();
                if (i == 0) {
                    firstRunStarted.await();
                }
            }
            Thread.sleep(200); // the other 63 queue behind the held run
            release.countDown();
            for (Thread t : writers) {
                t.join();
            }
            assertThat(failures).hasValue(0);
            for (int i = 0; i < 64; i++) {
                for (int b = 0; b < 4096; b += 512) {
                    assertThat(file[i * 4096 + b]).as("record %d", i).isEqualTo((byte) i);
                }
            }
            assertThat(runs.stream().mapToLong(Run::bytes).sum()).isEqualTo(64 * 4096L);
            assertThat(runs.stream().mapToInt(Run::records).max().orElse(0))
                    .as("queued contiguous records went out together").isGreaterThan(8);
        }
    }

    @Test
    void aFailedRunFailsItsRecordsAndTheWriterGoesOn() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (SegmentWriter w = new SegmentWriter("test-writer", (segment, offset, buffers) -> {
            if (calls.incrementAndGet() == 1) {
                throw new IOException("disk says no");
            }
        })) {
            assertThatThrownBy(() -> SegmentWriter.await(w.submit(1, 0, ByteBuffer.allocate(4096))))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("disk says no");
            SegmentWriter.await(w.submit(1, 4096, ByteBuffer.allocate(4096))); // the next one is written
            assertThat(calls).hasValue(2);
        }
    }

    @Test
    void aClosedWriterRefusesWrites() {
        SegmentWriter w = new SegmentWriter("test-writer", (segment, offset, buffers) -> { });
        w.close();
        w.close();
        assertThatThrownBy(() -> SegmentWriter.await(w.submit(1, 0, ByteBuffer.allocate(4096))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("closed");
    }

    /**
     * A segment's records reach the device in the order they were queued (the store queues them in offset order),
     * however the writer batches them: after a crash the written records of a segment are a prefix.
     */
    @Test
    void aSegmentsRecordsAreWrittenInTheOrderTheyWereQueued() throws IOException {
        java.util.List<Long> starts = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.List<java.util.concurrent.CompletableFuture<Void>> all = new java.util.ArrayList<>();
        try (SegmentWriter w = new SegmentWriter("test-writer", (segment, offset, buffers) -> {
            long at = offset;
            for (ByteBuffer b : buffers) {
                starts.add(segment << 32 | at);
                at += b.remaining();
            }
        })) {
            for (int i = 0; i < 2000; i++) {
                all.add(w.submit(i % 3, (i / 3) * 4096L, ByteBuffer.allocate(4096)));
            }
            for (java.util.concurrent.CompletableFuture<Void> f : all) {
                SegmentWriter.await(f);
            }
        }
        assertThat(starts).hasSize(2000);
        for (int seg = 0; seg < 3; seg++) {
            long s = seg;
            assertThat(starts.stream().filter(x -> x >>> 32 == s).toList()).as("segment %d", seg).isSorted();
        }
    }
}
