package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rebuilding the index from the segment log's tail. A crash is simulated in-process by copying the directory of a
 * tier that is still open (what a kill -9 leaves: segment bytes written, RocksDB without its memtable) and opening
 * the copy.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NvmeRecoveryTest {

    static final int BLOCK = 64 << 10;

    @TempDir
    Path dir;

    static NvmeTierConfig config(Path db) {
        return NvmeTierConfig.builder(db, 256L << 20).build();
    }

    @Test
    void blocksPutAfterTheLastIndexFlushAreFoundAgainAfterACrash() throws IOException {
        Path crashed = dir.resolve("crashed");
        try (NvmeTier tier = NvmeTier.open(config(dir.resolve("db")))) {
            for (int i = 0; i < 40; i++) {
                assertThat(tier.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK))).isEqualTo(PutOutcome.STORED);
            }
            tier.flush();
            for (int i = 40; i < 100; i++) { // after the checkpoint: only in the memtable and the log
                assertThat(tier.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK))).isEqualTo(PutOutcome.STORED);
            }
            copy(tier, dir.resolve("db"), crashed);
        }
        try (NvmeTier t = NvmeTier.open(config(crashed))) {
            Map<String, Long> d = t.stats().details();
            System.out.printf("nvme recovery: %s%n", d);
            assertThat(t.blockCount()).isEqualTo(100);
            assertThat(d.get("recovered_at_open")).isEqualTo(60);
            assertThat(d.get("corrupt_at_open")).isZero();
            for (int i = 0; i < 100; i++) {
                try (BlockHandle h = t.read(Blocks.key(i)).handle()) {
                    assertThat(h.meta()).isEqualTo(Blocks.meta(i, BLOCK));
                    assertThat(h.payload()).isEqualTo(Blocks.payload(i, BLOCK));
                }
            }
        }
        try (NvmeTier t = NvmeTier.open(config(crashed))) { // the recovered records were indexed for good
            assertThat(t.blockCount()).isEqualTo(100);
            assertThat(t.stats().details().get("recovered_at_open")).isZero();
        }
    }

    /**
     * Payloads in 4 KiB-aligned direct memory (as a DRAM arena block is) are written from where they are, as
     * version 3 records (header in its own 4 KiB unit), others copied as version 2; both kinds are read, survive a
     * crash after the last index flush (the tail scan finds them), and take no more room for whole 4 KiB units.
     */
    @Test
    void payloadsInAlignedMemoryAreWrittenInPlaceAndFoundAgainAfterACrash() throws IOException {
        Path crashed = dir.resolve("crashed");
        int[] lengths = {BLOCK, BLOCK + 100, 4096, 5000, BLOCK - 1};
        try (NvmeTier tier = NvmeTier.open(config(dir.resolve("db")))) {
            for (int i = 0; i < 50; i++) {
                int len = lengths[i % lengths.length];
                ByteBuffer payload = i % 2 == 0 ? aligned(Blocks.payload(i, len)) : Blocks.payload(i, len);
                assertThat(tier.put(Blocks.meta(i, len), payload)).isEqualTo(PutOutcome.STORED);
                assertThat(payload.position()).isZero();
                if (i == 19) {
                    tier.flush();
                }
            }
            for (int i = 0; i < 50; i += 2) {
                SegmentStore.Location loc = tier.index.get(Blocks.key(i)).location();
                int len = lengths[i % lengths.length];
                assertThat(loc.length()).as("block %d: version 3, payload at 4 KiB", i).isEqualTo(4096 + len);
                ByteBuffer first = ByteBuffer.allocateDirect(2 * 4096).alignedSlice(4096);
                tier.segments.read(new SegmentStore.Location(loc.segment(), loc.offset(), 4096), first);
                assertThat(first.get(4)).isEqualTo(RecordDescriptor.VERSION_ALIGNED);
            }
            assertThat(tier.index.get(Blocks.key(0)).location().padded())
                    .as("a whole number of 4 KiB units costs nothing more").isEqualTo(
                            SegmentStore.Location.padded(RecordDescriptor.HEADER_LENGTH + BLOCK));
            copy(tier, dir.resolve("db"), crashed);
        }
        try (NvmeTier t = NvmeTier.open(config(crashed))) {
            assertThat(t.blockCount()).isEqualTo(50);
            assertThat(t.stats().details().get("recovered_at_open")).isEqualTo(30);
            assertThat(t.stats().details().get("corrupt_at_open")).isZero();
            for (int i = 0; i < 50; i++) {
                int len = lengths[i % lengths.length];
                try (BlockHandle h = t.read(Blocks.key(i)).handle()) {
                    assertThat(h.meta()).isEqualTo(Blocks.meta(i, len));
                    assertThat(h.payload()).isEqualTo(Blocks.payload(i, len));
                }
            }
        }
    }

    /** {@code b}'s bytes in direct memory starting on a 4 KiB boundary. */
    static ByteBuffer aligned(ByteBuffer b) {
        ByteBuffer out = ByteBuffer.allocateDirect(b.remaining() + 2 * 4096).alignedSlice(4096);
        out.put(b.duplicate()).flip();
        return out;
    }

    @Test
    void aTornRecordIsSkippedAndAHoleDoesNotStopTheScan() throws IOException {
        Path crashed = dir.resolve("crashed");
        try (NvmeTier tier = NvmeTier.open(config(dir.resolve("db")))) {
            for (int i = 0; i < 10; i++) {
                tier.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK));
            }
            copy(tier, dir.resolve("db"), crashed);
        }
        Path seg = segmentFiles(crashed).get(0);
        int rec = SegmentStore.Location.padded(RecordDescriptor.HEADER_LENGTH + BLOCK);
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[rec]), 3L * rec); // record 3: never written (a put in flight)
            ch.write(ByteBuffer.wrap(new byte[4096]), 5L * rec + 8192); // record 5: payload torn
        }
        try (NvmeTier t = NvmeTier.open(config(crashed))) {
            Map<String, Long> d = t.stats().details();
            System.out.printf("nvme recovery (hole + torn): %s%n", d);
            assertThat(d.get("torn_at_open")).isEqualTo(1);
            assertThat(t.blockCount()).isEqualTo(8);
            assertThat(t.contains(Blocks.key(3))).isFalse();
            assertThat(t.contains(Blocks.key(5))).isFalse();
            for (int i : new int[] {0, 1, 2, 4, 6, 7, 8, 9}) {
                try (BlockHandle h = t.read(Blocks.key(i)).handle()) {
                    assertThat(h.payload()).isEqualTo(Blocks.payload(i, BLOCK));
                }
            }
            assertThat(t.stats().corrupt()).isZero();
        }
    }

    @Test
    void indexRecordsOfReclaimedSegmentsAreDroppedAsStaleNotCorrupt() throws IOException {
        Path crashed = dir.resolve("crashed");
        long capacity = 32L << 20; // 1 MiB segments, an index flush every 4 MiB of payload
        NvmeTierConfig small = NvmeTierConfig.builder(dir.resolve("db"), capacity).build();
        try (NvmeTier tier = NvmeTier.open(small)) {
            java.util.List<Long> resident = new java.util.ArrayList<>();
            java.util.SplittableRandom r = new java.util.SplittableRandom(3);
            long i = 0;
            for (int round = 0; round < 2; round++) {
                // round 0 fills the tier and starts reclaiming; round 1 (after a flush) reclaims segments whose
                // survivors' index records are durable while their deletes are not
                long end = round == 0 ? 1000 : i + 40;
                for (; i < end; i++) {
                    assertThat(tier.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK))).isEqualTo(PutOutcome.STORED);
                    resident.add(i);
                    if (tier.usedBytes() > capacity - (2L << 20)) { // evict like LRU: a random newer block
                        resident.removeIf(k -> !tier.contains(Blocks.key(k)));
                        int half = resident.size() / 2;
                        tier.remove(Blocks.key(resident.remove(half + r.nextInt(resident.size() - half))));
                    }
                }
                if (round == 0) {
                    tier.flush();
                }
            }
            assertThat(tier.stats().details().get("dropped_blocks")).isPositive();
            copy(tier, dir.resolve("db"), crashed);
        }
        try (NvmeTier t = NvmeTier.open(NvmeTierConfig.builder(crashed, capacity).build())) {
            Map<String, Long> d = t.stats().details();
            System.out.printf("nvme recovery (stale): %s%n", d);
            assertThat(d.get("stale_at_open")).isPositive();
            assertThat(d.get("corrupt_at_open")).isZero();
            assertThat(t.usedBytes()).isLessThanOrEqualTo(capacity);
            t.forEach(m -> {
                ReadResult r = t.read(m.key());
                assertThat(r.isHit()).as("block %d", m.key().secondLong()).isTrue();
                r.handle().close();
            });
            assertThat(t.stats().corrupt()).isZero();
        }
    }

    /**
     * A recycled segment file holds, past the records written since it became a new segment, the records of the
     * segment it was before: intact, but bound to that earlier segment's id. After a crash the tail scan finds the
     * new records and none of the old (their blocks were reclaimed and must not come back).
     */
    @Test
    void aRecycledSegmentsEarlierRecordsAreNotFoundAgainAfterACrash() throws IOException {
        Path crashed = dir.resolve("crashed");
        long capacity = 32L << 20; // 1 MiB segments: 15 records of 64 KiB each
        java.util.Set<Long> resident = new java.util.TreeSet<>();
        try (NvmeTier tier = NvmeTier.open(NvmeTierConfig.builder(dir.resolve("db"), capacity).build())) {
            long i = 0;
            for (; i < 1500; i++) { // 3x the capacity, FIFO: reclaimed segments hold only removed blocks
                assertThat(tier.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK))).isEqualTo(PutOutcome.STORED);
                resident.add(i);
                while (tier.usedBytes() > capacity - (2L << 20)) {
                    long oldest = resident.iterator().next();
                    tier.remove(Blocks.key(oldest));
                    resident.remove(oldest);
                }
            }
            tier.flush();
            tier.segments.sealActive();
            long recycled = tier.stats().details().get("recycled_segments");
            assertThat(recycled).as("segments written over retired files").isPositive();
            for (int k = 0; k < 3; k++, i++) { // a new segment, in a recycled file, after the checkpoint
                assertThat(tier.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK))).isEqualTo(PutOutcome.STORED);
                resident.add(i);
            }
            assertThat(tier.stats().details().get("recycled_segments")).isEqualTo(recycled + 1);
            resident.removeIf(k -> !tier.contains(Blocks.key(k))); // what the reclaims dropped
            SegmentStore.Location last = tier.index.get(Blocks.key(i - 1)).location();
            assertThat(Files.size(tier.segments.segment(last.segment()).path))
                    .as("the earlier segment's records lie past the new ones").isGreaterThan(4 * last.padded());
            copy(tier, dir.resolve("db"), crashed);
        }
        try (NvmeTier t = NvmeTier.open(NvmeTierConfig.builder(crashed, capacity).build())) {
            Map<String, Long> d = t.stats().details();
            System.out.printf("nvme recovery (recycled): %s%n", d);
            assertThat(d.get("recovered_at_open")).as("the three records of the new segment").isEqualTo(3);
            assertThat(d.get("corrupt_at_open")).isZero();
            java.util.Set<Long> found = new java.util.TreeSet<>();
            t.forEach(m -> found.add(m.key().secondLong()));
            assertThat(found).isEqualTo(resident);
            for (long k : resident) {
                try (BlockHandle h = t.read(Blocks.key(k)).handle()) {
                    assertThat(h.payload()).isEqualTo(Blocks.payload(k, BLOCK));
                }
            }
        }
    }

    private static List<Path> segmentFiles(Path db) throws IOException {
        try (Stream<Path> s = Files.list(db.resolve("segments"))) {
            return s.filter(p -> p.toString().endsWith(SegmentStore.SUFFIX)).sorted().toList();
        }
    }

    /**
     * Copies the directory of an open tier (RocksDB's files as they are on disk, the segments as written), with
     * RocksDB's background flushes and compactions paused so that no file vanishes during the copy.
     */
    static void copy(NvmeTier tier, Path from, Path to) throws IOException {
        try {
            ((RocksStore) tier.durableIndex).db.pauseBackgroundWork();
        } catch (org.rocksdb.RocksDBException e) {
            throw new IOException(e);
        }
        try (Stream<Path> s = Files.walk(from)) {
            s.forEach(p -> {
                try {
                    Path q = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(q);
                    } else if (!p.getFileName().toString().equals("LOCK")) {
                        Files.copy(p, q);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } finally {
            try {
                ((RocksStore) tier.durableIndex).db.continueBackgroundWork();
            } catch (org.rocksdb.RocksDBException e) {
                throw new IOException(e);
            }
        }
    }

    @Test
    void theOpenReportsLoadingTheIndexFromZeroToOne() throws IOException {
        try (NvmeTier tier = NvmeTier.open(config(dir.resolve("db")))) {
            for (int i = 0; i < 300; i++) {
                assertThat(tier.put(Blocks.meta(i, 4096), Blocks.payload(i, 4096))).isEqualTo(PutOutcome.STORED);
            }
        }
        List<Double> seen = new ArrayList<>();
        try (NvmeTier tier = NvmeTier.open(config(dir.resolve("db")), seen::add)) {
            assertThat(tier.blockCount()).isEqualTo(300);
        }
        assertThat(seen).hasSizeGreaterThanOrEqualTo(2).startsWith(0.0).endsWith(1.0).isSorted()
                .allMatch(f -> f >= 0 && f <= 1);
    }
}
