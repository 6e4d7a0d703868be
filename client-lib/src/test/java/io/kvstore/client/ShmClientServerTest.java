package io.kvstore.client;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.tier.Tier;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.admin.ServerMetrics;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every end-to-end test of {@link ClientServerTest} again, with the server offering same-host shared memory
 * (so DRAM hits are read from the mapped arena), plus the lease guarantees: memory under a live lease is not
 * reused, an expired lease is reclaimed, a client killed with SIGKILL leaks no lease.
 */
class ShmClientServerTest extends ClientServerTest {

    @Override
    ConfigLoader serverConfig(Path d) {
        return TestServers.config(d).assignment("dramPersist=true").assignment("dramSharedMemoryDir=" + d.resolve("shm"));
    }

    @AfterEach
    void everyLeaseEnds() {
        if (server.shmLeases() != null) {
            waitFor(() -> server.shmLeases().active() == 0, "no lease left after the test");
        }
    }

    static void waitFor(BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    static long dramDetail(KvServer s, String name) {
        for (Tier t : s.store().tiers()) {
            if (t.name().equals("dram")) {
                return t.stats().details().get(name);
            }
        }
        throw new AssertionError("no dram tier");
    }

    @Test
    void dramHitsAreViewsOfTheMappingUnderALeaseReleasedWhenTheBlocksClose() {
        int[] tokens = tokens(8, 11);
        List<ByteBuffer> payloads = payloads(8, 11);
        client.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
        long granted = server.shmLeases().counters().get("granted");
        ServerMetrics.Traffic before = server.metrics().traffic();
        List<ReceivedBlock> got = client.getBlocks(NS, new PrefixHasher(NS).hash(tokens));
        try {
            assertThat(got).hasSize(8);
            for (int i = 0; i < 8; i++) {
                ByteBuffer p = got.get(i).payload();
                assertThat(p.isDirect()).isTrue();
                assertThat(p).isEqualTo(payloads.get(i).duplicate());
            }
            assertThat(server.shmLeases().counters().get("granted")).isEqualTo(granted + 1);
            assertThat(server.shmLeases().active()).isEqualTo(1);
        } finally {
            got.forEach(ReceivedBlock::close);
        }
        waitFor(() -> server.shmLeases().active() == 0, "the lease is released after the last block closes");
        ServerMetrics.Traffic after = server.metrics().traffic();
        long bytes = payloads.stream().mapToLong(ByteBuffer::remaining).sum();
        assertThat(after.hits().get("dram") - before.hits().getOrDefault("dram", 0L))
                .as("blocks served through shared memory are counted as DRAM hits").isEqualTo(8);
        assertThat(after.readBytes().get("dram") - before.readBytes().getOrDefault("dram", 0L)).isEqualTo(bytes);
    }

    @Test
    void chainedBlocksWrittenThroughSharedMemoryAreChecksummedByTheServerNotTheClient() {
        int[] tokens = tokens(4, 31);
        List<ByteBuffer> payloads = payloads(4, 31);
        List<BlockPayload> chain = BlockPayload.chain(NS, tokens, payloads);
        assertThat(chain).as("no checksum computed before it is needed").allMatch(BlockPayload::checksumPending);
        assertThat(chain.get(0).checksummed().meta().crc32c())
                .isEqualTo(io.kvstore.core.block.Checksums.crc32c(payloads.get(0)));
        long reserved = server.shmLeases().counters().get("reserved_blocks");
        assertThat(client.putBlocks(NS, chain).statuses()).containsOnly(PutCode.STORED);
        assertThat(server.shmLeases().counters().get("reserved_blocks") - reserved).as("written through the arena")
                .isEqualTo(4);
        List<ReceivedBlock> got = client.getBlocks(NS, new PrefixHasher(NS).hash(tokens));
        try {
            assertThat(got).hasSize(4);
            for (int i = 0; i < 4; i++) {
                assertThat(got.get(i).meta().crc32c()).as("block %d's CRC32C, computed by the server", i)
                        .isEqualTo(io.kvstore.core.block.Checksums.crc32c(payloads.get(i)));
            }
        } finally {
            got.forEach(ReceivedBlock::close);
        }
    }

    @Test
    void theShmFilesAndNonceAreOwnerOnly() throws Exception {
        Path shm = dir.resolve("shm");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(shm))).isEqualTo("rwx------");
        try (var files = Files.list(shm)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (f.getFileName().toString().endsWith(".arena") || f.getFileName().toString().equals("shm.token")) {
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString())
                            .isEqualTo("rw-------");
                }
            }
        }
    }

    @Test
    void aClientThatDoesNotAskUsesTcpWithIdenticalResults() {
        int[] tokens = tokens(4, 12);
        List<ByteBuffer> payloads = payloads(4, 12);
        client.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
        long granted = server.shmLeases().counters().get("granted");
        try (KvStoreClient tcp = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port())
                .withSharedMemory(false))) {
            List<ReceivedBlock> got = tcp.getBlocks(NS, new PrefixHasher(NS).hash(tokens));
            try {
                assertThat(got).hasSize(4);
                for (int i = 0; i < 4; i++) {
                    assertThat(got.get(i).payload()).isEqualTo(payloads.get(i).duplicate());
                }
            } finally {
                got.forEach(ReceivedBlock::close);
            }
        }
        assertThat(server.shmLeases().counters().get("granted")).isEqualTo(granted);
    }

    @Test
    void onlyATokenThatMayReadEveryTenantIsOfferedTheMapping() throws Exception {
        // an arena file holds every tenant's blocks: a token limited to some tenants keeps the TCP path
        try (KvServer secured = TestServers.start(serverConfig(dir.resolve("secured"))
                .assignment("authTokens=acme-only=acme,operator=*"))) {
            ClientOptions o = ClientOptions.of("127.0.0.1", secured.port());
            int[] tokens = tokens(4, 16);
            List<ByteBuffer> payloads = payloads(4, 16);
            try (KvStoreClient limited = KvStoreClient.create(o.withToken("acme-only"));
                 KvStoreClient operator = KvStoreClient.create(o.withToken("operator"))) {
                limited.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
                limited.connect(NS);
                operator.connect(NS);
                assertThat(limited.connectionForTest(NS).shm()).isNull();
                assertThat(operator.connectionForTest(NS).shm()).isNotNull();
                List<ReceivedBlock> got = limited.getBlocks(NS, new PrefixHasher(NS).hash(tokens));
                try {
                    assertThat(got).hasSize(4);
                    for (int i = 0; i < 4; i++) {
                        assertThat(got.get(i).payload()).isEqualTo(payloads.get(i).duplicate());
                    }
                } finally {
                    got.forEach(ReceivedBlock::close);
                }
                assertThat(secured.shmLeases().counters().get("granted")).isZero();
            }
        }
    }

    @Test
    void aWrongNonceIsDenied() throws Exception {
        // a raw client that says HELLO with the feature and then guesses the nonce
        try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            c.connect(NS);
            ClientConnection conn = c.connectionForTest(NS);
            assertThat(conn.shm()).isNotNull();
            io.netty.buffer.ByteBuf body = io.netty.buffer.Unpooled.buffer();
            io.kvstore.protocol.Wire.writeString(body, "0".repeat(64));
            var f = conn.call(io.kvstore.protocol.Opcode.SHM_ATTACH, 0, body);
            assertThat(f).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
                    .satisfies(e -> assertThat(((KvStoreException) e.getCause()).code())
                            .isEqualTo(ErrorCode.SHM_DENIED));
        }
    }

    /**
     * A put of more blocks than one request may carry goes in several SHM_PUT groups, pipelined one ahead: every
     * block's status comes back in request order, blocks already present included, and every byte arrives.
     */
    @Test
    void aPutOfManyGroupsIsPipelinedAndAnsweredInOrder() throws Exception {
        try (KvServer limited = TestServers.start(serverConfig(dir.resolve("groups")).assignment("maxKeysPerRequest=4"));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", limited.port()))) {
            int[] tokens = tokens(18, 17);
            List<ByteBuffer> payloads = payloads(18, 17);
            List<BlockPayload> chain = BlockPayload.chain(NS, tokens, payloads);
            assertThat(c.putBlocks(NS, chain.subList(0, 6)).statuses()).containsOnly(PutCode.STORED);
            long reserved = limited.shmLeases().counters().get("reserved_blocks");
            List<PutCode> codes = c.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads)).statuses();
            assertThat(codes).hasSize(18);
            assertThat(codes.subList(0, 6)).as("present before").containsOnly(PutCode.ALREADY_PRESENT);
            assertThat(codes.subList(6, 18)).containsOnly(PutCode.STORED);
            assertThat(limited.shmLeases().counters().get("reserved_blocks") - reserved)
                    .as("the new blocks went through the arena, in five groups of at most 4").isEqualTo(12);
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            for (int from = 0; from < 18; from += 4) { // a GET may carry 4 keys here too
                List<ReceivedBlock> got = c.getBlocks(NS, keys.subList(from, Math.min(18, from + 4)));
                try {
                    assertThat(got).hasSize(Math.min(4, 18 - from));
                    for (int i = 0; i < got.size(); i++) {
                        assertThat(got.get(i).payload()).as("block %d", from + i)
                                .isEqualTo(payloads.get(from + i).duplicate());
                    }
                } finally {
                    got.forEach(ReceivedBlock::close);
                }
            }
        }
    }

    @Test
    void evictionUnderALiveLeaseDoesNotReuseTheMemory() throws Exception {
        try (KvServer small = TestServers.start(serverConfig(dir.resolve("ev")).assignment("dramCapacityBytes=1MiB")
                .assignment("dramPolicy=lru")); // LRU evicts the leased chain head; the default keeps heads
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", small.port()))) {
            int[] tokens = tokens(8, 13);
            List<ByteBuffer> payloads = payloads(8, 13);
            c.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            List<ReceivedBlock> held = c.getBlocks(NS, keys);
            try {
                assertThat(held).hasSize(8);
                assertThat(small.shmLeases().active()).isEqualTo(1);
                // churn: 4x the DRAM capacity of new blocks evicts (demotes) the leased ones
                for (int r = 0; r < 4; r++) {
                    int[] t = tokens(16, 100 + r);
                    c.putBlocks(NS, BlockPayload.chain(NS, t, payloads(16, 100 + r)));
                }
                assertThat(c.lookup(NS, keys).tiers()).as("a leased block was evicted from DRAM").contains("nvme");
                assertThat(dramDetail(small, "retired_pages")).as("their pages wait for the lease").isPositive();
                for (int i = 0; i < 8; i++) {
                    assertThat(held.get(i).payload()).as("block %d under the lease", i)
                            .isEqualTo(payloads.get(i).duplicate());
                }
            } finally {
                held.forEach(ReceivedBlock::close);
            }
            waitFor(() -> small.shmLeases().active() == 0 && dramDetail(small, "retired_pages") == 0,
                    "pages are freed once the lease ends");
            // the demoted blocks still read back identical (now over TCP from the lower tier)
            List<ReceivedBlock> again = c.getBlocks(NS, keys);
            try {
                assertThat(again).hasSize(8);
                assertThat(again.get(7).payload()).isEqualTo(payloads.get(7).duplicate());
            } finally {
                again.forEach(ReceivedBlock::close);
            }
        }
    }

    @Test
    void anExpiredLeaseIsReclaimed() throws Exception {
        try (KvServer s = TestServers.start(serverConfig(dir.resolve("exp")).assignment("maxLeaseMillis=300"));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", s.port()))) {
            int[] tokens = tokens(4, 14);
            c.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads(4, 14)));
            List<ReceivedBlock> forgotten = c.getBlocks(NS, new PrefixHasher(NS).hash(tokens));
            assertThat(forgotten).hasSize(4);
            assertThat(s.shmLeases().active()).isEqualTo(1);
            c.delete(NS, new PrefixHasher(NS).hash(tokens));
            assertThat(dramDetail(s, "retired_pages")).isPositive();
            // the reaper takes the lease out of the table, then counts it and frees its pages: wait for all three
            waitFor(() -> s.shmLeases().active() == 0 && s.shmLeases().counters().get("expired") == 1L
                    && dramDetail(s, "retired_pages") == 0, "the reaper reclaims the expired lease");
            assertThat(s.shmLeases().counters().get("expired")).isEqualTo(1L);
            assertThat(dramDetail(s, "retired_pages")).isZero();
            forgotten.forEach(ReceivedBlock::close); // late close: its release finds no lease, harmlessly
        }
    }

    @Test
    void aClientKilledWithSigkillLeaksNoLease() throws Exception {
        int[] tokens = tokens(4, 15);
        client.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads(4, 15)));
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                ShmChild.class.getName(), String.valueOf(server.port()), "15"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("HOLDING")) {
                // skip the child's log lines
            }
            assertThat(line).as("child output").isEqualTo("HOLDING 4");
            assertThat(server.shmLeases().active()).isEqualTo(1);
            assertThat(dramDetail(server, "retired_pages")).isZero();
            p.destroyForcibly(); // SIGKILL on Unix: no shutdown hook, no release
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(137);
            waitFor(() -> server.shmLeases().active() == 0
                    && server.shmLeases().counters().get("dropped_with_connection") == 1L,
                    "the dead client's lease ends with its connection");
            assertThat(server.shmLeases().counters().get("dropped_with_connection")).isEqualTo(1L);
        } finally {
            p.destroyForcibly();
        }
    }

    @Override
    double blocksSent() {
        return putFrames() + server.shmLeases().counters().get("reserved_blocks");
    }

    // ------------------------------------------------------------------------------------------- writes (SHM_PUT)

    @Test
    void putsAreCopiedIntoTheMappingAndCommittedWithoutCrossingTheSocket() {
        int[] tokens = tokens(8, 21);
        List<ByteBuffer> payloads = payloads(8, 21);
        double frames = putFrames();
        long reserved = server.shmLeases().counters().get("reserved_blocks");
        long usedBefore = dramUsed(server);
        PutAck ack = client.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
        assertThat(ack.statuses()).containsOnly(PutCode.STORED).hasSize(8);
        assertThat(putFrames() - frames).as("no PUT frame: the payloads went through the mapping").isZero();
        assertThat(server.shmLeases().counters().get("reserved_blocks") - reserved).isEqualTo(8);
        assertThat(dramUsed(server) - usedBefore).isEqualTo(8L * BLOCK);
        try (KvStoreClient tcp = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port())
                .withSharedMemory(false))) {
            List<ReceivedBlock> got = tcp.getBlocks(NS, new PrefixHasher(NS).hash(tokens));
            try {
                assertThat(got).hasSize(8);
                for (int i = 0; i < 8; i++) {
                    assertThat(got.get(i).payload()).isEqualTo(payloads.get(i).duplicate());
                }
            } finally {
                got.forEach(ReceivedBlock::close);
            }
        }
        assertThat(client.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads)).statuses())
                .as("a second put is answered at reservation, nothing to write").containsOnly(PutCode.ALREADY_PRESENT);
    }

    @Test
    void aConnectionThatLeavesBeforeCommittingGivesTheMemoryAndKeysBack() throws Exception {
        int[] tokens = tokens(4, 22);
        List<BlockPayload> chain = BlockPayload.chain(NS, tokens, payloads(4, 22));
        long usedBefore = dramUsed(server);
        try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            c.connect(NS);
            io.kvstore.protocol.body.ShmPutReply reply = shmPut(c.connectionForTest(NS), chain);
            assertThat(reply.slots()).extracting(io.kvstore.protocol.body.ShmPutReply.Slot::kind)
                    .containsOnly(io.kvstore.protocol.body.ShmPutReply.Kind.WRITE);
            assertThat(server.shmLeases().active()).isEqualTo(1);
            assertThat(client.lookupPrefix(NS, tokens).hitBlocks()).as("invisible until committed").isZero();
        } // closed without SHM_COMMIT
        waitFor(() -> server.shmLeases().active() == 0
                && server.shmLeases().counters().get("dropped_with_connection") == 1L
                && dramUsed(server) == usedBefore, "the reservations end with the connection");
        assertThat(server.shmLeases().counters().get("dropped_with_connection")).isEqualTo(1L);
        assertThat(dramUsed(server)).isEqualTo(usedBefore);
        assertThat(client.putBlocks(NS, chain).statuses()).as("the keys are free again").containsOnly(PutCode.STORED);
    }

    @Test
    void bytesThatDoNotMatchTheirChecksumAreRefusedAtCommit() throws Exception {
        int[] tokens = tokens(2, 23);
        List<BlockPayload> chain = BlockPayload.chain(NS, tokens, payloads(2, 23)).stream()
                .map(BlockPayload::checksummed).toList(); // sent without SERVER_CHECKSUM: the server verifies these
        ClientConnection conn = client.connectionForTest(NS);
        io.kvstore.protocol.body.ShmPutReply reply = shmPut(conn, chain);
        for (int i = 0; i < 2; i++) { // block 0 written right, block 1 with one byte flipped
            var slot = reply.slots().get(i);
            try (var ch = java.nio.channels.FileChannel.open(dir.resolve("shm").resolve(slot.file()),
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                ByteBuffer p = chain.get(i).payload().duplicate();
                if (i == 1) {
                    byte[] b = new byte[p.remaining()];
                    p.get(b);
                    b[100] ^= 1;
                    p = ByteBuffer.wrap(b);
                }
                ch.write(p, slot.offset());
            }
        }
        io.netty.buffer.ByteBuf body = io.netty.buffer.Unpooled.buffer(9).writeLong(reply.putId()).writeByte(0);
        io.kvstore.protocol.Frame f = conn.call(io.kvstore.protocol.Opcode.SHM_COMMIT, 0, body)
                .get(10, TimeUnit.SECONDS);
        try {
            var codes = io.kvstore.protocol.body.StatusList.read(f.body());
            assertThat(PutCode.of(codes.code(0))).isEqualTo(PutCode.STORED);
            assertThat(PutCode.of(codes.code(1))).isEqualTo(PutCode.BAD_CHECKSUM);
        } finally {
            f.release();
        }
        assertThat(client.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(1);
        var again = conn.call(io.kvstore.protocol.Opcode.SHM_COMMIT, 0,
                io.netty.buffer.Unpooled.buffer(9).writeLong(reply.putId()).writeByte(0));
        assertThat(again).as("a put id commits once").failsWithin(5, TimeUnit.SECONDS)
                .withThrowableOfType(Exception.class)
                .satisfies(e -> assertThat(((KvStoreException) e.getCause()).code()).isEqualTo(ErrorCode.MALFORMED));
    }

    @Test
    void aBlockTheSharedTierDoesNotTakeGoesOverTheSocket() throws Exception {
        try (KvServer small = TestServers.start(serverConfig(dir.resolve("small")).assignment("dramCapacityBytes=1MiB"));
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", small.port()))) {
            ByteBuffer big = ByteBuffer.allocate(2 << 20); // larger than the DRAM tier: it can only go to NVMe
            new java.util.SplittableRandom(24).nextBytes(big.array());
            int[] tokens = tokens(2, 24);
            List<ByteBuffer> payloads = List.of(payloads(1, 24).get(0), big);
            PutAck ack = c.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
            assertThat(ack.statuses()).containsExactly(PutCode.STORED, PutCode.STORED);
            assertThat(small.shmLeases().counters().get("reserved_blocks")).isEqualTo(1L);
            assertThat(c.lookupPrefix(NS, tokens).tiers()).containsExactly("dram", "nvme");
            List<ReceivedBlock> got = c.getBlocks(NS, new PrefixHasher(NS).hash(tokens));
            try {
                assertThat(got).hasSize(2);
                assertThat(got.get(1).payload()).isEqualTo(big.duplicate().clear());
            } finally {
                got.forEach(ReceivedBlock::close);
            }
        }
    }

    private static io.kvstore.protocol.body.ShmPutReply shmPut(ClientConnection conn, List<BlockPayload> blocks)
            throws Exception {
        io.netty.buffer.ByteBuf body = io.netty.buffer.Unpooled.buffer();
        body.writeInt(blocks.size());
        for (BlockPayload b : blocks) {
            io.kvstore.protocol.Wire.writeBlockHeader(body, b.meta());
        }
        io.kvstore.protocol.Frame f = conn.call(io.kvstore.protocol.Opcode.SHM_PUT, 0, body).get(10, TimeUnit.SECONDS);
        try {
            return io.kvstore.protocol.body.ShmPutReply.read(f.body(), blocks.size());
        } finally {
            f.release();
        }
    }

    static long dramUsed(KvServer s) {
        for (Tier t : s.store().tiers()) {
            if (t.name().equals("dram")) {
                return t.usedBytes();
            }
        }
        throw new AssertionError("no dram tier");
    }
}
