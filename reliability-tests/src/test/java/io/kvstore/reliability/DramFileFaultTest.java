package io.kvstore.reliability;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.body.KeyOutcome;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.kvstore.reliability.Fixtures.ACME;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes flipped in the DRAM tier's arena files (the memory-mapped segments under {@code dramSharedMemoryDir})
 * while the daemon is down: after the restart every damaged block is detected by its CRC32C before it is first
 * served, counted ({@code kvstore_corrupt_blocks_total{tier="dram"}}) and removed; every other block is served
 * intact, over TCP and over shared memory alike.
 */
@Timeout(120)
class DramFileFaultTest {

    static final int BLOCK = 16 << 10;
    static final int PAGE = 64 << 10; // the DRAM tier's page: one block per page here

    @TempDir
    Path dir;

    private static ConfigLoader dramOnly(Path data) {
        return TestServers.config(data).assignment("dramCapacityBytes=64MiB").assignment("nvmeCapacityBytes=0")
                .assignment("dramPersist=true").assignment("dramSharedMemoryDir=" + data.resolve("shm"));
    }

    @ParameterizedTest(name = "read back over shared memory: {0}")
    @ValueSource(booleans = {false, true})
    void flippedBytesInTheDramFilesAreDetectedCountedAndRemovedAtRestart(boolean shm) throws Exception {
        Path data = dir.resolve(shm ? "shm-run" : "tcp-run");
        List<BlockPayload> blocks = Fixtures.chain(ACME, 64, BLOCK, 21);
        List<BlockKey> keys = blocks.stream().map(b -> b.meta().key()).toList();
        try (KvServer s = TestServers.start(dramOnly(data));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            assertThat(c.putBlocks(ACME, blocks).allCached()).isTrue();
        } // a clean stop leaves the arena files and their index
        List<Path> segments;
        try (Stream<Path> w = Files.walk(data.resolve("shm"))) {
            segments = w.filter(p -> p.getFileName().toString().endsWith(".arena")).toList();
        }
        assertThat(segments).as("arena segment files").isNotEmpty();
        int flips = 0;
        for (Path seg : segments) {
            try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
                long pages = f.length() / PAGE;
                for (long p = 3; p < Math.min(pages, 64); p += 8) { // one byte inside every eighth page's payload
                    long at = p * PAGE + BLOCK / 2;
                    f.seek(at);
                    int b = f.read();
                    f.seek(at);
                    f.write(b ^ 0xA5);
                    flips++;
                }
            }
        }
        try (KvServer s = TestServers.start(dramOnly(data));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()).withSharedMemory(shm))) {
            int served = 0;
            List<BlockKey> gone = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                List<ReceivedBlock> got = c.getBlocks(ACME, List.of(keys.get(i)));
                if (got.isEmpty()) {
                    gone.add(keys.get(i));
                }
                for (ReceivedBlock r : got) {
                    try (r) {
                        served++;
                        assertThat(Checksums.matches(r.meta(), r.payload())).as("served bytes pass CRC32C").isTrue();
                        assertThat(r.payload()).isEqualTo(blocks.get(i).payload().duplicate().rewind());
                    }
                }
            }
            double counted = Metrics.sum(s, "kvstore_corrupt_blocks_total", "tier=\"dram\"");
            System.out.printf("DRAM FILE FLIPS (%s): %d bytes flipped in %d segment(s); %d blocks served intact, "
                    + "%d refused, kvstore_corrupt_blocks_total{tier=dram} %.0f%n", shm ? "shm" : "tcp", flips,
                    segments.size(), served, gone.size(), counted);
            assertThat(s.shmLeases().counters().get("granted") > 0).as("read over shared memory").isEqualTo(shm);
            assertThat(gone).as("damaged blocks detected").isNotEmpty().hasSizeLessThanOrEqualTo(flips);
            assertThat(served + gone.size()).isEqualTo(keys.size());
            assertThat(counted).as("each counted in the metrics").isEqualTo(gone.size());
            assertThat(c.exists(ACME, gone)).as("removed, not just skipped").containsOnly(KeyOutcome.NOT_FOUND);
            assertThat(c.putBlocks(ACME, blocks).allCached()).as("the store still takes writes").isTrue();
            assertThat(c.lookup(ACME, keys).hitBlocks()).isEqualTo(keys.size());
        }
    }
}
