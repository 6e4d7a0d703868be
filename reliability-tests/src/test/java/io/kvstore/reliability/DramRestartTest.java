package io.kvstore.reliability;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PrefixLookup;
import io.kvstore.client.PutAck;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.body.KeyOutcome;
import io.kvstore.protocol.body.PutCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.kvstore.reliability.Fixtures.ACME;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DRAM tier of a real daemon (child JVM) with the default settings for it: its arena lives in /dev/shm and
 * survives the process (docs/tiers.md, "DRAM: what survives what"). SIGTERM and restart with the same data dir:
 * every DRAM and NVMe block is served again with the bytes it was stored with. kill -9 (during PUTs) of a
 * DRAM-only daemon: every block acknowledged before the kill is found again, and no bad byte is served. The reboot
 * case (the arena directory deleted): DRAM blocks are gone, the daemon starts cleanly, NVMe blocks stay (how many
 * are still reachable as part of a prefix is printed). Six daemon starts, each a JVM start (1-2 s idle, 3-6 s on
 * a loaded 2-core machine).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DramRestartTest {

    static final int BLOCK = 16 << 10;
    static final int CHAIN = 4;

    @TempDir
    Path dir;

    private final List<Path> arenas = new ArrayList<>();

    @AfterEach
    void removeArenas() {
        arenas.forEach(Daemon::removeDram); // what a reboot would do; the test leaves nothing in /dev/shm
    }

    private Daemon start(String name, List<String> settings) throws Exception {
        long t0 = System.nanoTime();
        Daemon d = Daemon.start(dir.resolve("data"), dir.resolve(name + ".log"), settings);
        System.out.printf("DRAM RESTART: daemon '%s' ready in %d ms%n", name, (System.nanoTime() - t0) / 1_000_000);
        if (d.dramDir != null) {
            arenas.add(d.dramDir);
        }
        return d;
    }

    private static KvStoreClient client(int port) {
        return KvStoreClient.create(ClientOptions.of("127.0.0.1", port).withRequestTimeout(Duration.ofSeconds(10)));
    }

    /** PUTs {@code chains} chains from {@code seed}; returns each stored block's payload by key, in chain order. */
    private static Map<BlockKey, byte[]> store(KvStoreClient c, long seed, int chains) throws Exception {
        Map<BlockKey, byte[]> out = new LinkedHashMap<>();
        for (long s = seed; s < seed + chains; s++) {
            List<BlockPayload> chain = Fixtures.chain(ACME, CHAIN, BLOCK, s);
            PutAck ack = c.putBlocksAsync(ACME, chain, false).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < chain.size(); i++) {
                assertThat(ack.statuses().get(i)).as("PUT of chain %d block %d", s, i).isEqualTo(PutCode.STORED);
                out.put(chain.get(i).meta().key(), bytes(chain.get(i).payload()));
            }
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    /** Where each stored block is, by LOOKUP of its chain: tier name per key ("" if not a hit). */
    private static Map<BlockKey, String> tiers(KvStoreClient c, Map<BlockKey, byte[]> blocks) {
        Map<BlockKey, String> out = new LinkedHashMap<>();
        List<BlockKey> keys = new ArrayList<>(blocks.keySet());
        for (int i = 0; i < keys.size(); i += CHAIN) {
            List<BlockKey> chain = keys.subList(i, i + CHAIN);
            PrefixLookup l = c.lookup(ACME, chain);
            for (int j = 0; j < CHAIN; j++) {
                out.put(chain.get(j), j < l.hitBlocks() ? l.tiers().get(j) : "");
            }
        }
        return out;
    }

    private static long count(Map<BlockKey, String> tiers, String tier) {
        return tiers.values().stream().filter(tier::equals).count();
    }

    record Served(int found, int bad) {
    }

    /** GETs every chain and compares each block served with what was stored. */
    private static Served serve(KvStoreClient c, Map<BlockKey, byte[]> blocks) {
        int found = 0;
        int bad = 0;
        List<BlockKey> keys = new ArrayList<>(blocks.keySet());
        for (int i = 0; i < keys.size(); i += CHAIN) {
            for (ReceivedBlock b : c.getBlocks(ACME, keys.subList(i, i + CHAIN))) {
                try (b) {
                    byte[] want = blocks.get(b.meta().key());
                    if (want == null || !Checksums.matches(b.meta(), b.payload())
                            || !ByteBuffer.wrap(want).equals(b.payload())) {
                        bad++;
                    } else {
                        found++;
                    }
                }
            }
        }
        return new Served(found, bad);
    }

    @Test
    void afterSigtermEveryDramAndNvmeBlockIsServedAndASecondDaemonIsRefused() throws Exception {
        // DRAM: 19 pages of 64 KiB (one 16 KiB block each), so one chain is split between DRAM and NVMe; the rest of
        // the 48 blocks is demoted to NVMe
        List<String> settings = List.of("hbmCapacityBytes=0", "dramCapacityBytes=1216KiB", "nvmeCapacityBytes=64MiB");
        Map<BlockKey, byte[]> blocks;
        Map<BlockKey, String> before;
        Daemon d = start("first", settings);
        try (d) {
            assertThat(d.dramDir).as("the DRAM arena is in files by default").isNotNull();
            assertThat(d.dramDir.toString()).startsWith("/dev/shm/kvstore-");
            try (KvStoreClient c = client(d.port)) {
                blocks = store(c, 1, 12);
                before = tiers(c, blocks);
            }
            assertThat(before.values()).contains("dram", "nvme").doesNotContain("");
            // a second daemon on the same data dir: refused with one clear line, the first one unharmed
            IllegalStateException second = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> start("second", settings));
            // the data dir's lock stops it before the DRAM arena (which has a lock of its own) is opened
            assertThat(second.getMessage()).contains("daemon exited with 2")
                    .contains("kvstore serve: data dir ").contains(" is in use by another kvstore daemon (pid "
                            + d.process.pid() + ")").doesNotContain("\tat ");
            d.stop();
            assertThat(d.process.exitValue()).as("exit after SIGTERM").isIn(0, 143);
        }
        try (Daemon r = start("restarted", settings); KvStoreClient c = client(r.port)) {
            assertThat(Files.readString(r.log)).contains("arena in " + d.dramDir + " (survives a daemon restart")
                    .contains(count(before, "dram") + " blocks found")
                    .doesNotContain("index recovered");
            Served s = serve(c, blocks);
            System.out.printf("DRAM RESTART: SIGTERM, %d blocks stored (%d in DRAM, %d in NVMe, %d elsewhere), %d "
                            + "served with correct bytes after the restart, %d bad%n", blocks.size(), count(before, "dram"),
                    count(before, "nvme"), blocks.size() - count(before, "dram") - count(before, "nvme"), s.found(),
                    s.bad());
            assertThat(s.bad()).isZero();
            assertThat(s.found()).as("blocks served after the SIGTERM restart").isEqualTo(blocks.size());
            r.stop();
        }
        // a reboot empties /dev/shm: the DRAM blocks are gone, the NVMe ones stay; observe what the store keeps
        assertThat(Daemon.removeDram(d.dramDir)).isTrue();
        try (Daemon r = start("after-reboot", settings); KvStoreClient c = client(r.port)) {
            List<BlockKey> keys = new ArrayList<>(blocks.keySet());
            long present = c.exists(ACME, keys).stream().filter(o -> o == KeyOutcome.PRESENT).count();
            long reachable = 0;
            for (int i = 0; i < keys.size(); i += CHAIN) {
                reachable += c.lookup(ACME, keys.subList(i, i + CHAIN)).hitBlocks();
            }
            Served s = serve(c, blocks);
            System.out.printf("DRAM RESTART: after a reboot (arena deleted), %d of %d blocks still present (NVMe), "
                    + "%d reachable as part of a cached prefix, %d served, %d bad%n", present, blocks.size(),
                    reachable, s.found(), s.bad());
            assertThat(s.bad()).isZero();
            r.stop();
        }
    }

    @Test
    void afterKillNineDramBlocksAreFoundAgainAndNoBadByteIsServed() throws Exception {
        // DRAM only, 128 pages: room for every block stored here (56 at most), so none is evicted
        List<String> settings = List.of("hbmCapacityBytes=0", "dramCapacityBytes=8MiB", "nvmeCapacityBytes=0");
        Map<BlockKey, byte[]> idle;
        Map<BlockKey, byte[]> underLoad = new ConcurrentHashMap<>();
        try (Daemon d = start("first", settings); KvStoreClient c = client(d.port)) {
            idle = store(c, 100, 8);
            // then kill -9 while PUTs of new chains are in flight
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                try (KvStoreClient w = client(d.port)) {
                    for (long seed = 1000; !stop.get() && seed < 1006; seed++) {
                        underLoad.putAll(store(w, seed, 1));
                    }
                } catch (Exception | AssertionError expected) {
                    // killed under us
                }
            }, "dram-writer");
            writer.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (underLoad.size() < 2 * CHAIN && writer.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            d.kill();
            stop.set(true);
            writer.join(10_000);
        }
        try (Daemon r = start("after-kill", settings); KvStoreClient c = client(r.port)) {
            assertThat(Files.readString(r.log)).contains("(the last daemon did not stop cleanly: index recovered)");
            Served before = serve(c, idle);
            Served during = serve(c, underLoad);
            System.out.printf("DRAM RESTART: kill -9, %d blocks stored before the load: %d found with correct bytes, "
                            + "%d bad; %d acknowledged during the PUTs the kill cut: %d found, %d bad%n", idle.size(),
                    before.found(), before.bad(), underLoad.size(), during.found(), during.bad());
            assertThat(before.bad() + during.bad()).isZero();
            assertThat(before.found()).isEqualTo(idle.size());
            assertThat(during.found()).isEqualTo(underLoad.size());
            r.stop();
        }
    }
}
