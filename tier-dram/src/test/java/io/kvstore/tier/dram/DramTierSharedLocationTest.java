package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.SharedMemoryExport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** A file-backed tier tells where a read block lies in its segment files; a reader mapping them sees the bytes. */
@Timeout(30)
class DramTierSharedLocationTest {

    @TempDir
    Path dir;

    @Test
    void locationsOfReadBlocksPointAtTheirBytesInTheSegmentFiles() throws IOException {
        // 4 segments of 256 KiB: blocks land in several files
        DramTierConfig cfg = DramTierConfig.of("dram", 1 << 20, 16 * 1024).withSegmentBytes(256 * 1024)
                .persistedTo(dir.resolve("arena"));
        try (DramTier t = DramTier.open(cfg)) {
            for (int i = 0; i < 20; i++) {
                assertThat(t.put(Blocks.meta(i, 40_000 + i), Blocks.payload(i, 40_000 + i)))
                        .isEqualTo(PutOutcome.STORED);
            }
            int files = 0;
            for (int i = 0; i < 20; i++) {
                ReadResult r = t.read(Blocks.key(i));
                try (BlockHandle h = r.handle()) {
                    SharedLocation loc = t.sharedLocation(h.payload());
                    assertThat(loc).isNotNull();
                    assertThat(loc.file().getParent()).isEqualTo(dir.resolve("arena"));
                    assertThat(Files.getPosixFilePermissions(loc.file()))
                            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
                    try (FileChannel ch = FileChannel.open(loc.file(), StandardOpenOption.READ)) {
                        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, loc.offset(), 40_000 + i);
                        assertThat(m).isEqualTo(Blocks.payload(i, 40_000 + i));
                    }
                    files |= 1 << Integer.parseInt(loc.file().getFileName().toString().replaceAll("\\D", ""));
                }
            }
            assertThat(Integer.bitCount(files)).isGreaterThan(1);
            assertThat(t.sharedLocation(ByteBuffer.allocateDirect(10))).isNull();
            assertThat(t.sharedLocation(ByteBuffer.allocate(10))).isNull();
        }
    }

    @Test
    void anAnonymousTierHasNoLocations() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 1 << 20))) {
            t.put(Blocks.meta(1, 1000), Blocks.payload(1, 1000));
            try (BlockHandle h = t.read(Blocks.key(1)).handle()) {
                assertThat(t.sharedLocation(h.payload())).isNull();
            }
        }
    }

    @Test
    void onlyAFileBackedTierOffersSharedMemoryAndItsExportLocatesWhatSharedLocationDoes() {
        try (DramTier anonymous = DramTier.open(DramTierConfig.of("dram", 1 << 20))) {
            assertThat(anonymous.sharedMemory()).isEmpty();
        }
        DramTierConfig cfg = DramTierConfig.of("dram", 1 << 20).persistedTo(dir.resolve("arena"));
        try (DramTier t = DramTier.open(cfg)) {
            SharedMemoryExport export = t.sharedMemory().orElseThrow();
            assertThat(export.directory()).isEqualTo(dir.resolve("arena"));
            t.put(Blocks.meta(1, 1000), Blocks.payload(1, 1000));
            try (BlockHandle h = t.read(Blocks.key(1)).handle()) {
                var loc = t.sharedLocation(h.payload());
                assertThat(export.locate(h.payload())).isEqualTo(new SharedMemoryExport.Location(loc.file(),
                        loc.offset()));
            }
            assertThat(export.locate(ByteBuffer.allocateDirect(10))).isNull();
        }
    }
}
