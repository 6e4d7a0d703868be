package io.kvstore.reliability;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.KvStoreException;
import io.kvstore.client.PutAck;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.body.KeyOutcome;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.kvstore.reliability.Fixtures.ACME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Damaged and full disks under a real server with the NVMe tier (RocksDB): bytes flipped in its files are detected
 * on read, counted ({@code kvstore_corrupt_blocks_total}) and the block removed, never served; a full disk (a
 * size-limited tmpfs, mounted when the test runs as root) fails writes with a clear error while reads go on.
 */
@Timeout(120)
class DiskFaultTest {

    static final int BLOCK = 16 << 10;

    @TempDir
    Path dir;

    private static ConfigLoader nvmeOnly(Path data) {
        return TestServers.config(data).assignment("dramCapacityBytes=0").assignment("nvmeCapacityBytes=1GiB");
    }

    @Test
    void flippedBytesOnDiskAreDetectedCountedAndRemoved() throws Exception {
        List<BlockPayload> blocks = Fixtures.chain(ACME, 64, BLOCK, 11);
        List<BlockKey> keys = blocks.stream().map(b -> b.meta().key()).toList();
        try (KvServer s = TestServers.start(nvmeOnly(dir));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            assertThat(c.putBlocks(ACME, blocks).allCached()).isTrue();
        } // a clean close flushes RocksDB
        List<Path> files;
        try (Stream<Path> w = Files.walk(dir.resolve("nvme"))) {
            files = w.filter(Files::isRegularFile).filter(p -> Files.isRegularFile(p)
                    && (p.toString().endsWith(".seg") || p.toString().endsWith(".sst"))).toList();
        }
        Path biggest = files.stream().max((a, b) -> Long.compare(size(a), size(b))).orElseThrow();
        long len = Files.size(biggest);
        assertThat(len).as("payload file " + biggest).isGreaterThan(64L * BLOCK / 2);
        try (RandomAccessFile f = new RandomAccessFile(biggest.toFile(), "rw")) {
            for (int k = 1; k <= 8; k++) { // one flipped byte in each eighth of the file, inside the data
                long at = len * k / 10;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x5A);
            }
        }
        try (KvServer s = TestServers.start(nvmeOnly(dir));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            int served = 0;
            int refused = 0;
            List<BlockKey> gone = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                List<ReceivedBlock> got = c.getBlocks(ACME, List.of(keys.get(i)));
                if (got.isEmpty()) {
                    refused++;
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
            double counted = Metrics.sum(s, "kvstore_corrupt_blocks_total", "");
            System.out.printf("FLIPPED BYTES: 8 bytes flipped in %s (%d bytes); %d blocks served intact, %d refused, "
                    + "kvstore_corrupt_blocks_total %.0f%n", biggest.getFileName(), len, served, refused, counted);
            assertThat(refused).as("damaged blocks detected").isPositive();
            assertThat(counted).as("counted in the metrics").isGreaterThanOrEqualTo(1);
            assertThat(c.exists(ACME, gone)).as("removed, not just skipped").containsOnly(KeyOutcome.NOT_FOUND);
            assertThat(c.putBlocks(ACME, blocks).allCached()).as("the store still takes writes").isTrue();
        }
    }

    @Test
    void fullDiskFailsWritesClearlyAndReadsGoOn() throws Exception {
        Path mnt = dir.resolve("small-disk");
        Files.createDirectories(mnt);
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt.toString()) == 0,
                "needs root and mount (a 16 MiB tmpfs is the full disk)");
        try {
            List<BlockPayload> first = Fixtures.chain(ACME, 32, BLOCK, 21); // 512 KiB
            List<BlockKey> keys = first.stream().map(b -> b.meta().key()).toList();
            try (KvServer s = TestServers.start(nvmeOnly(mnt).assignment("nvmeWalMode=buffered"));
                 KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
                PutAck firstAck = c.putBlocks(ACME, first);
                assertThat(firstAck.allCached()).as("first 32 blocks: %s", firstAck.statuses()).isTrue();
                String error = null;
                PutCode failedStatus = null;
                long stored = 0;
                for (int seed = 1000; seed < 1400 && error == null && failedStatus == null; seed++) {
                    try {
                        PutAck ack = c.putBlocks(ACME, Fixtures.chain(ACME, 8, BLOCK, seed));
                        for (PutCode st : ack.statuses()) {
                            if (st == PutCode.STORED) {
                                stored++;
                            } else {
                                failedStatus = st;
                            }
                        }
                    } catch (KvStoreException e) {
                        error = e.code() + ": " + e.getMessage();
                    }
                }
                System.out.printf("FULL DISK: 16 MiB tmpfs; %d more blocks stored, then: %s%n", stored,
                        error != null ? error : "put code " + failedStatus);
                assertThat(error != null || failedStatus != null).as("writes fail once the disk is full").isTrue();
                if (error != null) {
                    assertThat(error).containsIgnoringCase("space");
                }
                // reads continue, byte-exact
                List<ReceivedBlock> got = c.getBlocks(ACME, keys);
                try {
                    assertThat(got).hasSize(keys.size());
                    for (int i = 0; i < keys.size(); i++) {
                        assertThat(got.get(i).payload()).isEqualTo(first.get(i).payload().duplicate().rewind());
                    }
                } finally {
                    got.forEach(ReceivedBlock::close);
                }
                assertThat(c.lookup(ACME, keys).hitBlocks()).isEqualTo(keys.size());
            }
        } finally {
            run("umount", "-l", mnt.toString());
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    private static int run(String... cmd) {
        try {
            return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
