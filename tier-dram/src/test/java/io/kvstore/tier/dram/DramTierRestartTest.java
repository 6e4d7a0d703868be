package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.tier.dram.DramTierConfig.RestartVerification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Warm restart: 1,000 blocks written, the tier closed and reopened on the same directory, one block damaged. */
@Timeout(60)
class DramTierRestartTest {

    static final int N = 1000;
    static final int SIZE = 20 * 1024; // two 16 KiB pages, the second partly used
    static final int PAGE = 16 * 1024;

    @TempDir
    Path dir;

    DramTierConfig config() {
        return DramTierConfig.of("dram", (long) N * 2 * PAGE + 8 * PAGE, PAGE).withSegmentBytes(4 << 20)
                .persistedTo(dir);
    }

    /** Writes N blocks, closes, damages block 500's bytes in its segment file; returns nothing. */
    void writeAndDamage(DramTierConfig cfg, int damaged) throws IOException {
        int firstPage;
        try (DramTier t = DramTier.open(cfg)) {
            for (int i = 0; i < N; i++) {
                assertThat(t.put(Blocks.meta(i, SIZE), Blocks.payload(i, SIZE))).isEqualTo(PutOutcome.STORED);
            }
            firstPage = t.firstPageOf(Blocks.key(damaged));
        }
        Path seg = PageArena.segmentFile(dir, firstPage / cfg.pagesPerSegment());
        long off = (long) (firstPage % cfg.pagesPerSegment()) * PAGE + 1234;
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, off);
            b.put(0, (byte) (b.get(0) ^ 0x5A)).rewind();
            ch.write(b, off);
        }
    }

    @ParameterizedTest
    @EnumSource(RestartVerification.class)
    void allBlocksComeBackVerifiedAndTheDamagedOneIsAMissRemovedAndCounted(RestartVerification mode)
            throws IOException {
        DramTierConfig cfg = config().withRestartVerification(mode);
        writeAndDamage(cfg, 500);
        try (DramTier t = DramTier.open(cfg)) {
            assertThat(t.stats().details()).containsEntry("restart_discarded", 0L);
            int hits = 0;
            for (int i = 0; i < N; i++) {
                ReadResult r = t.read(Blocks.key(i));
                if (i == 500) {
                    assertThat(r.outcome()).isIn(ReadResult.Outcome.CORRUPT, ReadResult.Outcome.MISS);
                    continue;
                }
                assertThat(r.outcome()).as("block %d", i).isEqualTo(ReadResult.Outcome.HIT);
                try (BlockHandle h = r.handle()) {
                    BlockMeta m = Blocks.meta(i, SIZE);
                    assertThat(h.meta()).isEqualTo(m);
                    assertThat(Checksums.matches(m, h.payload())).isTrue();
                    assertThat(h.payload()).isEqualTo(Blocks.payload(i, SIZE));
                }
                hits++;
            }
            assertThat(hits).isEqualTo(N - 1);
            assertThat(t.contains(Blocks.key(500))).isFalse();
            assertThat(t.read(Blocks.key(500)).outcome()).isEqualTo(ReadResult.Outcome.MISS);
            assertThat(t.stats().corrupt()).isEqualTo(1);
            assertThat(t.blockCount()).isEqualTo(N - 1);
            assertThat(t.usedBytes()).isEqualTo((N - 1) * t.footprint(SIZE));
            assertThat(t.stats().details()).containsEntry("restart_blocks",
                    mode == RestartVerification.AT_OPEN ? (long) N - 1 : (long) N);
            assertThat(t.stats().details()).containsEntry("verified_after_restart", (long) N - 1);
            // the damaged block's pages are free again and the space is usable
            assertThat(t.put(Blocks.meta(500, SIZE), Blocks.payload(500, SIZE))).isEqualTo(PutOutcome.STORED);
            try (BlockHandle h = t.read(Blocks.key(500)).handle()) {
                assertThat(h.payload()).isEqualTo(Blocks.payload(500, SIZE));
            }
        }
    }

    @Test
    void removalsAndNewBlocksSurviveASecondRestart() {
        DramTierConfig cfg = config();
        try (DramTier t = DramTier.open(cfg)) {
            for (int i = 0; i < 10; i++) {
                t.put(Blocks.meta(i, SIZE), Blocks.payload(i, SIZE));
            }
            t.remove(Blocks.key(3));
        }
        try (DramTier t = DramTier.open(cfg)) {
            assertThat(t.blockCount()).isEqualTo(9);
            assertThat(t.contains(Blocks.key(3))).isFalse();
            t.put(Blocks.meta(42, SIZE), Blocks.payload(42, SIZE));
        }
        try (DramTier t = DramTier.open(cfg)) {
            assertThat(t.blockCount()).isEqualTo(10);
            assertThat(t.stats().details()).containsEntry("free_pages",
                    (long) cfg.pageCount() - 10 * 2);
            try (BlockHandle h = t.read(Blocks.key(42)).handle()) {
                assertThat(h.payload()).isEqualTo(Blocks.payload(42, SIZE));
            }
        }
    }

    @Test
    void changedGeometryStartsColdAndSaysSo() {
        try (DramTier t = DramTier.open(config())) {
            t.put(Blocks.meta(1, SIZE), Blocks.payload(1, SIZE));
        }
        DramTierConfig other = DramTierConfig.of("dram", 64L * PAGE, PAGE).persistedTo(dir);
        try (DramTier t = DramTier.open(other)) {
            assertThat(t.blockCount()).isZero();
            assertThat(t.stats().details()).containsEntry("restart_discarded", 1L);
            assertThat(t.coldStartReason()).startsWith("the arena geometry changed (").contains("pages 2008 -> 64");
            assertThat(t.put(Blocks.meta(1, SIZE), Blocks.payload(1, SIZE))).isEqualTo(PutOutcome.STORED);
        }
    }

    @Test
    void aDirectoryIsOpenInOneTierAtATimeAndFreeAgainAfterClose() throws IOException {
        try (DramTier t = DramTier.open(config())) {
            t.put(Blocks.meta(1, SIZE), Blocks.payload(1, SIZE));
            assertThatThrownBy(() -> DramTier.open(config())).isInstanceOf(DramTierInUseException.class)
                    .hasMessageContaining(dir.toString()).hasMessageContaining("in use by this process");
            // the failed open did not take the first tier's lock away (POSIX drops a process's locks on any close)
            assertThatThrownBy(() -> DramTier.open(config())).isInstanceOf(DramTierInUseException.class);
            readAndClose(t, 1);
            for (String f : new String[]{"index.cm", "arena.properties", "arena.lock", "segment-000.arena"}) {
                assertThat(Files.getPosixFilePermissions(dir.resolve(f)).toString()).as(f)
                        .doesNotContain("GROUP", "OTHERS");
            }
        }
        try (DramTier t = DramTier.open(config())) {
            assertThat(t.blockCount()).isEqualTo(1);
            assertThat(t.restartBlocks()).isEqualTo(1);
            assertThat(t.coldStartReason()).isNull();
            assertThat(t.indexRecovered()).as("closed cleanly: no recovery").isFalse();
        }
    }

    @Test
    void deleteIfUnusedRemovesAClosedArenaOnlyAndNeverForeignFiles() throws IOException {
        Path sub = dir.resolve("arena");
        DramTierConfig cfg = config().persistedTo(sub);
        try (DramTier t = DramTier.open(cfg)) {
            t.put(Blocks.meta(1, SIZE), Blocks.payload(1, SIZE));
            assertThat(DramTier.deleteIfUnused(sub)).isFalse();
            readAndClose(t, 1);
        }
        Files.writeString(sub.resolve(DramTier.OWNER_FILE), "/some/data/dir\n");
        Path foreign = dir.resolve("foreign");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        assertThat(DramTier.deleteIfUnused(foreign)).isFalse();
        assertThat(foreign.resolve("notes.txt")).exists();
        assertThat(DramTier.deleteIfUnused(sub)).isTrue();
        assertThat(sub).doesNotExist();
    }

    private static void readAndClose(DramTier t, int i) {
        ReadResult r = t.read(Blocks.key(i));
        assertThat(r.outcome()).isEqualTo(ReadResult.Outcome.HIT);
        r.handle().close();
    }

    @Test
    void unreadableIndexStartsCold() throws IOException {
        try (DramTier t = DramTier.open(config())) {
            t.put(Blocks.meta(1, SIZE), Blocks.payload(1, SIZE));
        }
        Files.write(dir.resolve("index.cm"), new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        try (DramTier t = DramTier.open(config())) {
            assertThat(t.blockCount()).isZero();
            assertThat(t.coldStartReason()).contains("index");
            assertThat(t.stats().details()).containsEntry("restart_discarded", 1L);
            assertThat(t.put(Blocks.meta(1, SIZE), Blocks.payload(1, SIZE))).isEqualTo(PutOutcome.STORED);
        }
    }

    @Test
    void theWarmRestartReportsItsPassFromZeroToOne() throws IOException {
        try (DramTier t = DramTier.open(config())) {
            for (int i = 0; i < 300; i++) {
                t.put(Blocks.meta(i, SIZE), Blocks.payload(i, SIZE));
            }
        }
        List<Double> seen = new ArrayList<>();
        try (DramTier t = DramTier.open(config(), seen::add)) {
            assertThat(t.blockCount()).isEqualTo(300);
        }
        assertThat(seen).hasSizeBetween(2, 102).startsWith(0.0).endsWith(1.0).isSorted();
    }
}
