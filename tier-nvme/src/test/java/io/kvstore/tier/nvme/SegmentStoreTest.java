package io.kvstore.tier.nvme;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The segment store's file recycling: retired files become new segments, within bounds. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SegmentStoreTest {

    static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    /** A record of {@code length} bytes (its header bytes are only bound, never read here). */
    private static ByteBuffer record(int length) {
        ByteBuffer b = ByteBuffer.allocateDirect(SegmentStore.Location.padded(length) + SegmentStore.ALIGN)
                .alignedSlice(SegmentStore.ALIGN);
        return b.limit(length);
    }

    /** Appends records of 512 KiB until {@code n} segments exist; returns the store's oldest segment. */
    private static SegmentStore.Segment fill(SegmentStore store, int n) throws IOException {
        while (store.segments().size() < n) {
            SegmentStore.Location loc = store.append(512 << 10, record(512 << 10));
            store.abandon(loc); // not indexed: garbage, which is all a retire needs
        }
        return store.inLogOrder().get(0);
    }

    private long files(String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(suffix)).count();
        }
    }

    @Test
    void aRetiredFileBecomesTheNextSegmentAndAtMostTwoAreKept() throws IOException {
        try (SegmentStore store = new SegmentStore(dir, false, 2 * MIB)) {
            fill(store, 6);
            for (int i = 0; i < 4; i++) {
                store.sealActive(); // so that every segment but the active one may go
                store.retire(store.inLogOrder().get(0));
            }
            assertThat(store.freeFiles()).isEqualTo(SegmentStore.MAX_FREE_FILES);
            assertThat(files(SegmentStore.FREE_SUFFIX)).isEqualTo(SegmentStore.MAX_FREE_FILES);
            long segmentsBefore = files(SegmentStore.SUFFIX);
            store.append(512 << 10, record(512 << 10)); // opens a new segment: a free file, renamed
            assertThat(store.recycledSegments()).isEqualTo(1);
            assertThat(store.freeFiles()).isEqualTo(1);
            assertThat(files(SegmentStore.SUFFIX)).isEqualTo(segmentsBefore + 1);
            assertThat(store.totalBytes()).as("a recycled file counts its records, not its old length")
                    .isEqualTo(store.segments().stream().mapToLong(SegmentStore.Segment::size).sum());
        }
        try (SegmentStore again = new SegmentStore(dir, false, 2 * MIB)) {
            assertThat(again.freeFiles()).as("free files are kept across a restart").isEqualTo(1);
        }
    }

    @Test
    void freeFilesLargerThanASegmentAreDeletedNotReused() throws IOException {
        try (SegmentStore store = new SegmentStore(dir, false, 4 * MIB)) {
            fill(store, 3);
            store.sealActive();
            store.retire(store.inLogOrder().get(0));
            assertThat(store.freeFiles()).isEqualTo(1);
        }
        try (SegmentStore smaller = new SegmentStore(dir, false, 2 * MIB)) { // the capacity was lowered
            assertThat(smaller.freeFiles()).isZero();
            assertThat(files(SegmentStore.FREE_SUFFIX)).isZero();
            smaller.append(512 << 10, record(512 << 10));
            assertThat(smaller.recycledSegments()).isZero();
        }
    }
}
