package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierContractTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NvmeTierTest extends TierContractTest {

    @TempDir
    Path dir;

    @Override
    protected Tier newTier(long capacityBytes) {
        return NvmeTier.open(NvmeTierConfig.builder(dir.resolve("db"), capacityBytes).build());
    }

    private NvmeTier reopen(Codec codec) {
        tier.close();
        tier = NvmeTier.open(NvmeTierConfig.builder(dir.resolve("db"), 64L << 20).codec(codec).build());
        return (NvmeTier) tier;
    }

    @Test
    void blocksSurviveARestartAndTheIndexIsRebuiltFromMetadata() {
        for (int i = 0; i < 6; i++) {
            assertThat(tier.put(Blocks.meta(i, BLOCK), payloadOf(i))).isEqualTo(PutOutcome.STORED);
        }
        tier.remove(Blocks.key(2));
        long used = tier.usedBytes();
        NvmeTier t = reopen(Codec.NONE);
        assertThat(t.blockCount()).isEqualTo(5);
        assertThat(t.usedBytes()).isEqualTo(used);
        List<BlockMeta> seen = new ArrayList<>();
        t.forEach(seen::add);
        assertThat(seen).containsExactlyInAnyOrder(Blocks.meta(0, BLOCK), Blocks.meta(1, BLOCK),
                Blocks.meta(3, BLOCK), Blocks.meta(4, BLOCK), Blocks.meta(5, BLOCK));
        for (BlockMeta m : seen) {
            try (BlockHandle h = t.read(m.key()).handle()) {
                assertThat(h.payload()).isEqualTo(payloadOf(m.position()));
            }
        }
    }

    /** The writer's runs are counted: every record written is in exactly one run, a run holds one or more. */
    @Test
    void theSegmentWritersRunsAndTheirRecordsAreCounted() throws Exception {
        Map<String, Long> before = tier.stats().details();
        int n = 12; // the contract's tier holds 16
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<PutOutcome>> outcomes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                outcomes.add(pool.submit(() -> tier.put(Blocks.meta(k, BLOCK), payloadOf(k))));
            }
            for (java.util.concurrent.Future<PutOutcome> o : outcomes) {
                assertThat(o.get()).isEqualTo(PutOutcome.STORED);
            }
        } finally {
            pool.shutdownNow();
        }
        Map<String, Long> after = tier.stats().details();
        long runs = after.get("write_runs") - before.get("write_runs");
        long records = after.get("write_run_records") - before.get("write_run_records");
        assertThat(records).isEqualTo(n);
        assertThat(runs).isBetween(1L, (long) n);
    }

    @Test
    void readAllUsesOneBatchAndKeepsOrderWithMisses() {
        List<BlockKey> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            if (i != 4) {
                tier.put(Blocks.meta(i, BLOCK), payloadOf(i));
            }
            keys.add(Blocks.key(i));
        }
        List<ReadResult> rs = tier.readAll(keys);
        assertThat(rs).hasSize(10);
        for (int i = 0; i < 10; i++) {
            ReadResult r = rs.get(i);
            if (i == 4) {
                assertThat(r.outcome()).isEqualTo(ReadResult.Outcome.MISS);
                continue;
            }
            try (BlockHandle h = r.handle()) {
                assertThat(h.meta().key()).isEqualTo(Blocks.key(i));
                assertThat(h.payload()).isEqualTo(payloadOf(i));
            }
        }
    }

    @Test
    void backToBackRecordsAreReadWithOneIoAndEachHandleKeepsItsBytes() {
        NvmeTier t = (NvmeTier) tier;
        List<BlockKey> keys = new ArrayList<>();
        List<BlockKey> others = new ArrayList<>();
        for (int i = 0; i < 12; i++) { // written in order: back to back in one segment
            assertThat(t.put(Blocks.meta(i, BLOCK), payloadOf(i))).isEqualTo(PutOutcome.STORED);
            (i < 6 ? keys : others).add(0, Blocks.key(i)); // asked for in reverse, as a leaf-first demotion writes
        }
        List<ReadResult> rs = t.readAll(keys);
        assertThat(t.stats().details()).containsEntry("span_reads", 1L).containsEntry("span_read_blocks", 6L);
        for (int i = 0; i < 6; i++) {
            if (i != 3) {
                rs.get(i).handle().close();
            }
        }
        // the shared buffer must not go back to the pool while one view of it is open: reads of other blocks into
        // pooled buffers of the same size would overwrite it
        for (int round = 0; round < 4; round++) {
            t.readAll(others).forEach(r -> r.handle().close());
        }
        try (BlockHandle h = rs.get(3).handle()) {
            assertThat(h.meta().key()).isEqualTo(Blocks.key(2));
            assertThat(h.payload()).isEqualTo(payloadOf(2));
        }
        assertThat(t.stats().details().get("span_reads")).isEqualTo(5L);
        assertThat(RefCountedHandle.leaks()).isZero();
    }

    @Test
    void aDamagedRecordInsideASpanIsCorruptAndItsNeighboursStillHit() throws IOException {
        byte[] marker = new byte[BLOCK];
        java.util.Arrays.fill(marker, (byte) 0x5A);
        BlockMeta bad = KvData.meta(Blocks.key(50), ByteBuffer.wrap(marker));
        tier.put(Blocks.meta(51, BLOCK), payloadOf(51));
        tier.put(bad, ByteBuffer.wrap(marker));
        tier.put(Blocks.meta(52, BLOCK), payloadOf(52));
        reopen(Codec.NONE);
        assertThat(flipInFiles(dir.resolve("db"), marker)).isEqualTo(1);
        NvmeTier t = reopen(Codec.NONE);
        List<ReadResult> rs = t.readAll(List.of(Blocks.key(51), bad.key(), Blocks.key(52)));
        assertThat(t.stats().details()).containsEntry("span_reads", 1L).containsEntry("span_read_blocks", 2L);
        assertThat(rs.get(1).outcome()).isEqualTo(ReadResult.Outcome.CORRUPT);
        assertThat(t.contains(bad.key())).isFalse();
        for (int i : new int[] {0, 2}) {
            try (BlockHandle h = rs.get(i).handle()) {
                assertThat(h.payload()).isEqualTo(payloadOf(51 + i / 2));
            }
        }
        assertThat(RefCountedHandle.leaks()).isZero();
    }

    /**
     * A reading thread that is interrupted closes its channel: that read, and the others of its batch, are errors
     * and misses, and no block is dropped as damaged.
     */
    @Test
    void anInterruptedReadIsAMissAndDropsNothing() {
        NvmeTier t = (NvmeTier) tier;
        List<BlockKey> keys = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            t.put(Blocks.meta(i, BLOCK), payloadOf(i));
            keys.add(Blocks.key(i));
        }
        keys.add(1, keys.remove(3)); // out of disk order: a span and single reads
        for (List<BlockKey> ask : List.of(keys, List.of(Blocks.key(2)))) {
            Thread.currentThread().interrupt();
            List<ReadResult> rs;
            try {
                rs = t.readAll(ask);
            } finally {
                Thread.interrupted();
            }
            rs.stream().filter(ReadResult::isHit).forEach(r -> r.handle().close());
            assertThat(rs).noneMatch(r -> r.outcome() == ReadResult.Outcome.CORRUPT);
        }
        assertThat(t.stats().corrupt()).isZero();
        for (int i = 0; i < 4; i++) { // the interrupt cleared, every block reads back whole
            try (BlockHandle h = t.read(Blocks.key(i)).handle()) {
                assertThat(h.payload()).isEqualTo(payloadOf(i));
            }
        }
    }

    @Test
    void longReadAllIsSplitIntoParallelBatchesAndKeepsOrder() throws Exception {
        List<BlockKey> keys = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            tier.put(Blocks.meta(i, BLOCK), payloadOf(i));
            keys.add(Blocks.key(i));
        }
        keys.add(7, Blocks.key(99)); // a miss in the middle
        tier.close();
        // 8 batches of 2 keys; 2 threads + 2 queued: the synchronous readAll runs what the pool refuses itself
        NvmeTier small = NvmeTier.open(NvmeTierConfig.builder(dir.resolve("db"), 64L << 20).maxBatchKeys(2)
                .ioThreads(2).ioQueue(2).build());
        tier = small;
        assertInOrder(small.readAll(keys));
    }

    private static void assertInOrder(List<ReadResult> rs) {
        assertThat(rs).hasSize(16);
        assertThat(rs.get(7).outcome()).isEqualTo(ReadResult.Outcome.MISS);
        for (int i = 0; i < 16; i++) {
            if (i != 7) {
                try (BlockHandle h = rs.get(i).handle()) {
                    assertThat(h.payload()).isEqualTo(payloadOf(i < 7 ? i : i - 1));
                }
            }
        }
    }

    @Test
    void compressedBlocksRoundTrip() {
        NvmeTier t = reopen(Codec.SHUFFLE2_LZ4);
        ByteBuffer bf16 = KvData.bf16Normal(7, BLOCK);
        BlockMeta m = KvData.meta(Blocks.key(70), bf16);
        assertThat(t.put(m, bf16)).isEqualTo(PutOutcome.STORED);
        assertThat(t.put(Blocks.meta(71, BLOCK), payloadOf(71))).isEqualTo(PutOutcome.STORED); // incompressible
        assertThat(t.stats().details().get("encoded_blocks")).isEqualTo(1L);
        t = reopen(Codec.LZ4); // the record says how it was encoded, not the config
        try (BlockHandle h = t.read(m.key()).handle()) {
            assertThat(h.payload()).isEqualTo(KvData.bf16Normal(7, BLOCK));
        }
        try (BlockHandle h = t.read(Blocks.key(71)).handle()) {
            assertThat(h.payload()).isEqualTo(payloadOf(71));
        }
    }

    @Test
    void damagedBytesOnDiskAreACorruptMissRemovedAndCounted() throws IOException {
        byte[] marker = new byte[BLOCK];
        java.util.Arrays.fill(marker, (byte) 0x5A);
        BlockMeta bad = KvData.meta(Blocks.key(50), ByteBuffer.wrap(marker));
        tier.put(bad, ByteBuffer.wrap(marker));
        tier.put(Blocks.meta(51, BLOCK), payloadOf(51));
        NvmeTier t = reopen(Codec.NONE); // clean close syncs the segment and flushes the index
        int flipped = flipInFiles(dir.resolve("db"), marker);
        assertThat(flipped).as("marker found in a segment file").isEqualTo(1);
        t = reopen(Codec.NONE);
        assertThat(t.read(bad.key()).outcome()).isEqualTo(ReadResult.Outcome.CORRUPT);
        assertThat(t.contains(bad.key())).isFalse();
        assertThat(t.read(bad.key()).outcome()).isEqualTo(ReadResult.Outcome.MISS);
        assertThat(t.stats().corrupt()).isEqualTo(1);
        try (BlockHandle h = t.read(Blocks.key(51)).handle()) {
            assertThat(h.payload()).isEqualTo(payloadOf(51));
        }
        t = reopen(Codec.NONE);
        assertThat(t.contains(bad.key())).as("the removal is durable").isFalse();
        assertThat(RefCountedHandle.leaks()).isZero();
    }

    @Test
    void aDirectoryOfTheEarlierBlobDbLayoutIsStartedCold() throws Exception {
        tier.close();
        Path old = dir.resolve("old");
        java.nio.file.Files.createDirectories(old);
        byte[] key = Blocks.key(1).toBytes();
        byte[] v1 = new byte[61];
        v1[0] = 1; // MetaDescriptor version 1
        try (org.rocksdb.DBOptions o = new org.rocksdb.DBOptions().setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true);
             org.rocksdb.ColumnFamilyOptions cf = new org.rocksdb.ColumnFamilyOptions()) {
            List<org.rocksdb.ColumnFamilyHandle> h = new ArrayList<>();
            try (org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(o, old.toString(), List.of(
                    new org.rocksdb.ColumnFamilyDescriptor(org.rocksdb.RocksDB.DEFAULT_COLUMN_FAMILY, cf),
                    new org.rocksdb.ColumnFamilyDescriptor(RocksStore.LEGACY_BLOCKS_CF, cf)), h)) {
                db.put(h.get(0), key, v1);
                db.put(h.get(1), key, new byte[1000]);
                h.forEach(org.rocksdb.ColumnFamilyHandle::close);
            }
        }
        tier = NvmeTier.open(NvmeTierConfig.builder(old, 64L << 20).build());
        NvmeTier t = (NvmeTier) tier;
        assertThat(t.blockCount()).isZero();
        assertThat(t.stats().details().get("started_cold")).isEqualTo(1L);
        assertThat(t.put(Blocks.meta(1, BLOCK), payloadOf(1))).isEqualTo(PutOutcome.STORED);
        tier.close();
        tier = NvmeTier.open(NvmeTierConfig.builder(old, 64L << 20).build());
        try (BlockHandle h = tier.read(Blocks.key(1)).handle()) {
            assertThat(h.payload()).isEqualTo(payloadOf(1));
        }
        try (org.rocksdb.Options o = new org.rocksdb.Options()) {
            assertThat(org.rocksdb.RocksDB.listColumnFamilies(o, old.toString())).hasSize(1);
        }
    }

    /** Flips 16 bytes in the middle of the first run of {@code marker} found in each file under {@code db}. */
    static int flipInFiles(Path db, byte[] marker) throws IOException {
        int flipped = 0;
        List<Path> files;
        try (Stream<Path> s = Files.walk(db)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            int at = indexOf(bytes, marker, 1024);
            if (at >= 0) {
                for (int i = 0; i < 16; i++) {
                    bytes[at + 512 + i] ^= (byte) 0xFF;
                }
                Files.write(f, bytes);
                flipped++;
            }
        }
        return flipped;
    }

    private static int indexOf(byte[] hay, byte[] marker, int run) {
        outer:
        for (int i = 0; i + run <= hay.length; i++) {
            for (int j = 0; j < run; j++) {
                if (hay[i + j] != marker[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void isDurableOnlyWithAWriteAheadLog() {
        assertThat(tier.durable()).as("no WAL (the default): removes since the last checkpoint may come back").isFalse();
        for (WalMode wal : List.of(WalMode.BUFFERED, WalMode.SYNC)) {
            tier.close();
            tier = NvmeTier.open(NvmeTierConfig.builder(dir.resolve("db"), 64L << 20).walMode(wal).build());
            assertThat(tier.durable()).as(wal.toString()).isTrue();
        }
    }
}
