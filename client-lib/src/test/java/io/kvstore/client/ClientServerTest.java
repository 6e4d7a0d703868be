package io.kvstore.client;

import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.body.KeyOutcome;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client against a real server on a loopback port 0: the end-to-end acceptance cases. */
@Timeout(60)
class ClientServerTest {

    static final KvLayout LAYOUT = new KvLayout("bf16", 2, 2, 64, 16);
    static final Namespace NS = new Namespace("test-model", LAYOUT, "acme", "", "");
    static final Namespace OTHER = new Namespace("test-model", LAYOUT, "globex", "", "");
    static final int BLOCK = 64 << 10;

    @TempDir
    Path dir;
    KvServer server;
    KvStoreClient client;

    @BeforeEach
    void start() throws Exception {
        server = TestServers.start(serverConfig(dir));
        client = KvStoreClient.create(clientOptions(server));
    }

    /** How {@link #client} reaches {@code s}; {@link UnixSocketClientServerTest} runs every test over its socket. */
    ClientOptions clientOptions(KvServer s) {
        return ClientOptions.of("127.0.0.1", s.port());
    }

    /** The server's settings; {@link ShmClientServerTest} runs every test here again over shared memory. */
    ConfigLoader serverConfig(Path d) {
        return TestServers.config(d);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    static int[] tokens(int blocks, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[blocks * 16];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(1 << 17);
        }
        return t;
    }

    static List<ByteBuffer> payloads(int n, long seed) {
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[BLOCK];
            new SplittableRandom(seed * 1000 + i).nextBytes(b);
            out.add(ByteBuffer.wrap(b));
        }
        return out;
    }

    /**
     * Requests longer than the server takes (its maxKeysPerRequest) are split by the client: LOOKUP and GET go on
     * request after request while each is all hits, PUT and the key operations send every part.
     */
    @Test
    void requestsLongerThanTheServerTakesAreSplit() throws Exception {
        try (KvServer limited = TestServers.start(serverConfig(dir.resolve("limited")).assignment("maxKeysPerRequest=4"));
             KvStoreClient c = KvStoreClient.create(clientOptions(limited))) {
            int[] tokens = tokens(10, 23);
            List<ByteBuffer> payloads = payloads(10, 23);
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            assertThat(c.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads)).statuses()).hasSize(10)
                    .containsOnly(PutCode.STORED);
            assertThat(c.lookup(NS, keys).hitBlocks()).isEqualTo(10);
            PrefixLookup leased = c.lookupAsync(NS, keys, 1000, false).get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(leased.hitBlocks()).isEqualTo(10);
            assertThat(leased.tiers()).hasSize(10);
            assertGot(c, keys, payloads, 10);
            assertThat(c.exists(NS, keys)).hasSize(10).containsOnly(KeyOutcome.PRESENT);
            assertThat(c.delete(NS, List.of(keys.get(6)))).containsExactly(KeyOutcome.DELETED);
            assertThat(c.lookup(NS, keys).hitBlocks()).as("the prefix ends at the gap, in the second request")
                    .isEqualTo(6);
            assertGot(c, keys, payloads, 6);
            assertThat(c.exists(NS, keys)).hasSize(10).filteredOn(o -> o == KeyOutcome.NOT_FOUND).hasSize(1);
            assertThat(c.delete(NS, keys.subList(0, 3))).hasSize(3).containsOnly(KeyOutcome.DELETED);
            assertThat(c.lookup(NS, keys).hitBlocks()).as("a miss in the first request: no second").isZero();
            assertGot(c, keys, payloads, 0);
        }
    }

    private static void assertGot(KvStoreClient c, List<BlockKey> keys, List<ByteBuffer> payloads, int n) {
        try (BlockStream s = c.streamPrefix(NS, keys)) {
            List<ReceivedBlock> got = new ArrayList<>();
            try {
                while (s.hasNext()) {
                    got.add(s.next());
                }
                assertThat(got).hasSize(n);
                assertThat(s.totalBlocks()).isEqualTo(n);
                for (int i = 0; i < n; i++) {
                    assertThat(got.get(i).payload()).as("block %d", i).isEqualTo(payloads.get(i).duplicate());
                }
            } finally {
                got.forEach(ReceivedBlock::close);
            }
        }
    }

    @Test
    void sixtyFourBlockPrefixRoundTripsByteIdenticalAndInOrder() {
        int[] tokens = tokens(64, 1);
        List<ByteBuffer> payloads = payloads(64, 1);
        PutAck ack = client.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
        assertThat(ack.statuses()).hasSize(64).containsOnly(PutCode.STORED);

        PrefixLookup l = client.lookupPrefix(NS, tokens);
        assertThat(l.hitBlocks()).isEqualTo(64);
        assertThat(l.tiers()).containsOnly("dram");

        List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
        try (BlockStream s = client.streamPrefix(NS, tokens)) {
            int i = 0;
            while (s.hasNext()) {
                try (ReceivedBlock b = s.next()) {
                    assertThat(b.meta().key()).isEqualTo(keys.get(i));
                    assertThat(b.meta().position()).isEqualTo(i);
                    assertThat(b.payload()).isEqualTo(payloads.get(i).duplicate());
                }
                i++;
            }
            assertThat(i).isEqualTo(64);
            assertThat(s.totalBlocks()).isEqualTo(64);
        }
        assertThat(RefCountedHandle.leaks()).isZero();
    }

    @Test
    void partialPrefixStopsAtTheFirstMissingBlock() {
        int[] tokens = tokens(48, 2);
        client.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads(32, 2)));
        assertThat(client.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(32);
        List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
        assertThat(client.delete(NS, List.of(keys.get(10)))).containsExactly(KeyOutcome.DELETED);
        assertThat(client.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(10);
        List<ReceivedBlock> got = client.getBlocks(NS, keys);
        try {
            assertThat(got).hasSize(10);
        } finally {
            got.forEach(ReceivedBlock::close);
        }
    }

    @Test
    void putMissingSendsOnlyTheBlocksTheServerLacks() throws Exception {
        int[] tokens = tokens(48, 12);
        List<ByteBuffer> payloads = payloads(48, 12);
        List<BlockPayload> chain = BlockPayload.chain(NS, tokens, payloads);
        client.putBlocks(NS, chain.subList(0, 32));
        List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
        assertThat(client.delete(NS, List.of(keys.get(10)))).containsExactly(KeyOutcome.DELETED); // a gap
        assertThat(client.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(10);
        double framesBefore = blocksSent();

        PutAck ack = client.putMissing(NS, chain.subList(10, 48)); // what an engine that missed at 10 stores
        assertThat(ack.statuses()).hasSize(38);
        assertThat(ack.statuses().get(0)).isEqualTo(PutCode.STORED);
        assertThat(ack.statuses().subList(1, 22)).containsOnly(PutCode.ALREADY_PRESENT);
        assertThat(ack.statuses().subList(22, 38)).containsOnly(PutCode.STORED);
        // only the 17 absent were sent
        assertThat(blocksSentOnceAtLeast(framesBefore + 17) - framesBefore).isEqualTo(17);
        assertThat(client.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(48);
        List<ReceivedBlock> got = client.getBlocks(NS, keys);
        try {
            assertThat(got).hasSize(48);
            for (int i = 0; i < 48; i++) {
                assertThat(got.get(i).payload()).isEqualTo(payloads.get(i).duplicate());
            }
        } finally {
            got.forEach(ReceivedBlock::close);
        }
        assertThat(client.putMissing(NS, chain).statuses()).containsOnly(PutCode.ALREADY_PRESENT);
        assertThat(client.putMissing(NS, List.of()).statuses()).isEmpty();
    }

    /** Blocks the server has received so far: PUT frames (one per block) here, from its metrics. */
    double blocksSent() {
        return putFrames();
    }

    /**
     * {@link #blocksSent()} once it reaches {@code n} (or after 5 s): the server counts a request when it finishes,
     * just after writing its answer, so the count may trail the ack the client already has (more often over the
     * Unix socket, whose answers arrive sooner).
     */
    private double blocksSentOnceAtLeast(double n) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (blocksSent() < n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return blocksSent();
    }

    /** PUT frames the server has answered so far (one per block), from its metrics. */
    double putFrames() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            server.metrics().scrape(out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        double n = 0;
        for (String line : out.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("kvstore_requests_total{") && line.contains("opcode=\"PUT\"")) {
                n += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return n;
    }

    @Test
    void aMissIsZeroBlocks() {
        int[] tokens = tokens(8, 3);
        PrefixLookup l = client.lookupPrefix(NS, tokens);
        assertThat(l.hitBlocks()).isZero();
        assertThat(l.tiers()).isEmpty();
        try (BlockStream s = client.streamPrefix(NS, tokens)) {
            assertThat(s.hasNext()).isFalse();
            assertThat(s.totalBlocks()).isZero();
        }
        assertThat(client.exists(NS, new PrefixHasher(NS).hash(tokens))).containsOnly(KeyOutcome.NOT_FOUND);
    }

    @Test
    void twoNamespacesAreIsolatedEvenWithKnownKeys() {
        int[] tokens = tokens(4, 4);
        List<BlockPayload> blocks = BlockPayload.chain(NS, tokens, payloads(4, 4));
        client.putBlocks(NS, blocks);
        List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
        // the other tenant asks for the very same keys: nothing is visible
        assertThat(client.lookup(OTHER, keys).hitBlocks()).isZero();
        assertThat(client.getBlocks(OTHER, keys)).isEmpty();
        assertThat(client.exists(OTHER, keys)).containsOnly(KeyOutcome.NOT_FOUND);
        assertThat(client.delete(OTHER, keys)).containsOnly(KeyOutcome.NOT_FOUND);
        // and it cannot overwrite them
        assertThat(client.putBlocks(OTHER, blocks).statuses()).containsOnly(PutCode.NAMESPACE_CONFLICT);
        assertThat(client.lookup(NS, keys).hitBlocks()).isEqualTo(4);
        // its own prefix of the same tokens is a different chain
        assertThat(new PrefixHasher(OTHER).hash(tokens)).doesNotContainAnyElementsOf(keys);
    }

    @Test
    void wrongTokenIsRefusedAndATokenIsBoundToItsTenants() throws Exception {
        try (KvServer secured = TestServers.start(serverConfig(dir.resolve("s"))
                .assignment("authTokens=s3cret=acme"))) {
            ClientOptions o = ClientOptions.of("127.0.0.1", secured.port());
            try (KvStoreClient bad = KvStoreClient.create(o.withToken("guess"))) {
                assertThatThrownBy(() -> bad.connect(NS)).isInstanceOf(KvStoreException.class)
                        .hasMessageContaining("AUTH_FAILED").hasMessageContaining("unknown auth token")
                        .satisfies(e -> assertThat(((KvStoreException) e).code()).isEqualTo(ErrorCode.AUTH_FAILED));
            }
            try (KvStoreClient good = KvStoreClient.create(o.withToken("s3cret"))) {
                assertThat(good.lookupPrefix(NS, tokens(2, 5)).hitBlocks()).isZero();
                assertThatThrownBy(() -> good.lookupPrefix(OTHER, tokens(2, 5)))
                        .hasMessageContaining("NAMESPACE_DENIED").hasMessageContaining("globex");
            }
        }
    }

    @Test
    void pinsExistsStatsAndPipelinedLookups() {
        int[] tokens = tokens(16, 6);
        client.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads(16, 6)));
        List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
        assertThat(client.pin(NS, keys.subList(0, 2))).containsOnly(KeyOutcome.PINNED);
        assertThat(client.unpin(NS, keys.subList(0, 1))).containsExactly(KeyOutcome.UNPINNED);
        assertThat(client.unpin(NS, keys.subList(0, 1))).containsExactly(KeyOutcome.NOT_PINNED);
        assertThat(client.exists(NS, keys)).containsOnly(KeyOutcome.PRESENT);
        KvStoreClient.ServerStats st = client.stats(NS);
        assertThat(st.blocks()).isEqualTo(16);
        assertThat(st.tiers()).extracting(t -> t.name()).containsExactly("dram", "nvme");

        List<CompletableFuture<PrefixLookup>> fs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            fs.add(client.lookupAsync(NS, keys.subList(0, 1 + i % 16), 0, false));
        }
        for (int i = 0; i < fs.size(); i++) {
            assertThat(fs.get(i).join().hitBlocks()).isEqualTo(1 + i % 16);
        }
    }

    @Test
    void blocksInTheLowerTierAreServedOffTheEventLoop() throws Exception {
        try (KvServer small = TestServers.start(serverConfig(dir.resolve("small"))
                .assignment("dramCapacityBytes=1MiB"));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", small.port()))) {
            // 2 MiB of blocks into 1 MiB of DRAM: the first half is demoted to the NVMe tier (read off-loop)
            int[] tokens = tokens(32, 7);
            List<ByteBuffer> p = payloads(32, 7);
            assertThat(c.putBlocks(NS, BlockPayload.chain(NS, tokens, p)).allCached()).isTrue();
            PrefixLookup l = c.lookupPrefix(NS, tokens);
            assertThat(l.hitBlocks()).isEqualTo(32);
            assertThat(l.tiers()).contains("nvme", "dram");
            List<ReceivedBlock> got = c.getBlocks(NS, l.hitKeys());
            try {
                assertThat(got).hasSize(32);
                for (int i = 0; i < 32; i++) {
                    assertThat(got.get(i).payload()).isEqualTo(p.get(i).duplicate());
                }
            } finally {
                got.forEach(ReceivedBlock::close);
            }
            // a client that leaves in the middle of a stream read ahead from NVMe: the blocks read ahead are let go
            BlockStream left;
            try (KvStoreClient quitter = KvStoreClient.create(ClientOptions.of("127.0.0.1", small.port()))) {
                left = quitter.streamPrefix(NS, tokens);
                left.next().close();
            }
            left.close(); // after the client left: the blocks it had received are its own buffers to let go
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (RefCountedHandle.open() > 0 && System.nanoTime() < deadline) { // the server's, in this JVM
                Thread.sleep(20);
            }
            assertThat(RefCountedHandle.open()).as("block handles still open on the server").isZero();
            assertThat(c.getBlocks(NS, l.hitKeys())).hasSize(32).allSatisfy(ReceivedBlock::close);
        }
    }

    /**
     * A prefix mostly on NVMe is read in runs of a few blocks (GetHandler's read-ahead): slow readers and several
     * streams at once get every block in order, and readers that leave inside a run, at its end or after several
     * leave no block handle open on the server.
     */
    @Test
    void streamsReadAheadFromNvmeStayInOrderAndLeakNothing() throws Exception {
        try (KvServer small = TestServers.start(serverConfig(dir.resolve("readahead"))
                .assignment("dramCapacityBytes=1MiB"))) {
            int[] tokens = tokens(48, 11);
            List<ByteBuffer> p = payloads(48, 11);
            try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", small.port()))) {
                assertThat(c.putBlocks(NS, BlockPayload.chain(NS, tokens, p)).allCached()).isTrue();
                PrefixLookup l = c.lookupPrefix(NS, tokens);
                assertThat(l.hitBlocks()).isEqualTo(48);
                assertThat(l.tiers().stream().filter("nvme"::equals).count()).as("blocks on NVMe").isGreaterThan(24);
            }
            List<CompletableFuture<Void>> readers = new ArrayList<>();
            for (int reader = 0; reader < 4; reader++) {
                int pauseEvery = reader + 2;
                readers.add(CompletableFuture.runAsync(() -> {
                    try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", small.port()));
                         BlockStream s = c.streamPrefix(NS, tokens)) {
                        int i = 0;
                        while (s.hasNext()) {
                            try (ReceivedBlock b = s.next()) {
                                assertThat(b.payload()).as("block %d", i).isEqualTo(p.get(i).duplicate());
                            }
                            if (++i % pauseEvery == 0) {
                                Thread.sleep(5); // a slow reader: the server's socket fills and the stream parks
                            }
                        }
                        assertThat(i).isEqualTo(48);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            CompletableFuture.allOf(readers.toArray(CompletableFuture[]::new)).get(40, java.util.concurrent.TimeUnit.SECONDS);
            for (int leaveAfter : new int[] {1, 3, 4, 5, 8, 13, 30}) { // inside a run, at its end, after several
                BlockStream left;
                try (KvStoreClient quitter = KvStoreClient.create(ClientOptions.of("127.0.0.1", small.port()))) {
                    left = quitter.streamPrefix(NS, tokens);
                    for (int i = 0; i < leaveAfter; i++) {
                        left.next().close();
                    }
                }
                left.close();
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (RefCountedHandle.open() > 0 && System.nanoTime() < deadline) { // the server's, in this JVM
                Thread.sleep(20);
            }
            assertThat(RefCountedHandle.open()).as("block handles still open on the server").isZero();
        }
    }

    /**
     * Small blocks outside memory are read in runs of up to 2 MiB, one blocking-pool hand-off per run, not one per
     * four blocks: 48 blocks of 64 KiB on NVMe take two runs (twelve before).
     */
    @Test
    void smallBlocksOnNvmeAreReadInRunsOfTwoMebibytes() throws Exception {
        try (KvServer small = TestServers.start(serverConfig(dir.resolve("runs")));
             KvStoreClient c = KvStoreClient.create(clientOptions(small))) {
            int[] tokens = tokens(48, 13);
            List<ByteBuffer> p = payloads(48, 13);
            assertThat(c.putBlocks(NS, BlockPayload.chain(NS, tokens, p)).allCached()).isTrue();
            small.store().drain("dram");
            assertThat(c.lookupPrefix(NS, tokens).tiers()).hasSize(48).containsOnly("nvme");
            long before = blockingTasks(small);
            assertGot(c, new PrefixHasher(NS).hash(tokens), p, 48);
            assertThat(blockingTasks(small) - before).as("blocking-pool tasks for one GET of 48 NVMe blocks")
                    .isLessThanOrEqualTo(3); // 2, and a PUT's task may be counted after its reply
        }
    }

    private static long blockingTasks(KvServer s) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        s.metrics().scrape(out);
        for (String line : out.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("kvstore_blocking_tasks_total ")) {
                return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        throw new AssertionError("no kvstore_blocking_tasks_total in /metrics");
    }

    @Test
    void prefetchPromotesLowerTierHitsAndPersistedAcksSayNotDurable() throws Exception {
        try (KvServer small = TestServers.start(serverConfig(dir.resolve("pf"))
                .assignment("dramCapacityBytes=1MiB").assignment("dramPolicy=lru"));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", small.port()))) {
            int[] tokens = tokens(24, 9);
            PutAck ack = c.putBlocksAsync(NS, BlockPayload.chain(NS, tokens, payloads(24, 9)), true).join();
            assertThat(ack.allCached()).isTrue();
            assertThat(ack.durable()).as("the newest blocks are still in DRAM, which is not durable").isFalse();
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            // the whole chain to NVMe before prefetching its head: the PUT's ack does not wait for the demoters, and
            // which blocks LRU demotes depends on the order they were published in (over shared memory a group is
            // published at its commit, after blocks the arena had no room for went over the socket)
            small.store().drain("dram");
            PrefixLookup before = c.lookupAsync(NS, keys.subList(0, 4), 1000, true).join();
            assertThat(before.tiers()).containsOnly("nvme");
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!c.lookup(NS, keys.subList(0, 4)).tiers().contains("dram") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(c.lookup(NS, keys.subList(0, 4)).tiers()).contains("dram");
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOutWithAClearMessage() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress());
             KvStoreClient c = KvStoreClient.create(new ClientOptions("127.0.0.1", silent.getLocalPort(), "",
                     java.time.Duration.ofMillis(300), java.time.Duration.ofSeconds(10), 1 << 20, 4))) {
            // the HELLO deadline is the connect timeout; the request timeout is longer so the two cannot race
            assertThatThrownBy(() -> c.connect(NS)).isInstanceOf(KvStoreException.Timeout.class)
                    .hasMessageContaining("no HELLO answer");
        }
    }

    @Test
    void reconnectsAfterTheServerRestarts() throws Exception {
        ConfigLoader again = sameAddress(serverConfig(dir.resolve("again")), server);
        assertThat(client.pingAsync(NS).join()).isPositive();
        server.close();
        server = TestServers.start(again);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            try {
                assertThat(client.lookupPrefix(NS, tokens(1, 8)).hitBlocks()).isZero();
                break;
            } catch (KvStoreException.ConnectionClosed e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    /** {@code c} made to listen where {@code s} listens (its port; the socket path over a Unix socket). */
    ConfigLoader sameAddress(ConfigLoader c, KvServer s) {
        return c.flag("port", s.port());
    }
}
