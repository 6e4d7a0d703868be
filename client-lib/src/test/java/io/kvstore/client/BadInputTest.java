package io.kvstore.client;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.FrameEncoder;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.Wire;
import io.kvstore.core.tier.Tier;
import io.kvstore.protocol.body.Hello;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.protocol.body.StatusList;
import io.kvstore.protocol.body.HelloReply;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongPredicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input, one test each: every case gets a typed error or a closed connection, while a well-behaved client
 * keeps being served (a background loop of LOOKUP + GET), and the blocks stored before are intact afterwards.
 */
@Timeout(60)
class BadInputTest {

    static final KvLayout LAYOUT = new KvLayout("bf16", 2, 2, 64, 16);
    static final Namespace NS = new Namespace("test-model", LAYOUT, "", "", "");
    static final int BLOCK = 256 << 10;

    @TempDir
    Path dir;
    KvServer server;
    KvStoreClient good;
    int[] tokens;
    List<ByteBuffer> payloads;
    Thread bystander;
    final AtomicLong served = new AtomicLong();
    final AtomicReference<Throwable> bystanderError = new AtomicReference<>();
    volatile boolean stop;

    @BeforeEach
    void start() throws Exception {
        server = TestServers.start(TestServers.config(dir).assignment("maxFrameBytes=4MiB")
                .assignment("maxLeaseMillis=2000") // a payload stalled this long is closed (checked every 5 s)
                .assignment("writeBufferHighBytes=2MiB").assignment("writeBufferLowBytes=1MiB"));
        good = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()));
        tokens = ClientServerTest.tokens(16, 11);
        payloads = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            byte[] b = new byte[BLOCK];
            new SplittableRandom(i).nextBytes(b);
            payloads.add(ByteBuffer.wrap(b));
        }
        assertThat(good.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads)).allCached()).isTrue();
        bystander = new Thread(() -> {
            try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
                while (!stop) {
                    assertThat(c.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(16);
                    List<ReceivedBlock> got = c.getBlocks(NS, new PrefixHasher(NS).hash(tokens).subList(0, 2));
                    got.forEach(ReceivedBlock::close);
                    assertThat(got).hasSize(2);
                    served.incrementAndGet();
                }
            } catch (Throwable t) {
                bystanderError.set(t);
            }
        }, "bystander");
        bystander.start();
    }

    @AfterEach
    void stop() throws Exception {
        long before = served.get();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (served.get() < before + 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        stop = true;
        bystander.join(10_000);
        try {
            assertThat(bystanderError.get()).as("the well-behaved client was served throughout").isNull();
            assertThat(served.get()).isGreaterThan(before);
            // nothing stored is lost or damaged
            List<ReceivedBlock> got = good.getBlocks(NS, new PrefixHasher(NS).hash(tokens));
            try {
                assertThat(got).hasSize(16);
                for (int i = 0; i < 16; i++) {
                    assertThat(got.get(i).payload()).isEqualTo(payloads.get(i).duplicate());
                }
            } finally {
                got.forEach(ReceivedBlock::close);
            }
        } finally {
            good.close();
            server.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ cases

    @Test
    void randomBytes() throws Exception {
        try (Raw r = new Raw()) {
            byte[] junk = new byte[64 << 10];
            new SplittableRandom(42).nextBytes(junk);
            junk[0] = 0x13; // not the magic
            r.out.write(junk);
            r.out.flush();
            RawFrame f = r.read();
            assertThat(f.status).isEqualTo(ErrorCode.BAD_MAGIC);
            assertThat(f.message()).contains("expected magic 0x4b56");
            r.assertClosed();
        }
    }

    @Test
    void truncatedFrame() throws Exception {
        try (Raw r = new Raw()) {
            r.hello();
            ByteBuf h = Unpooled.buffer();
            FrameEncoder.writeHeader(h, 1, Opcode.PING.code(), 0, 0, 5, 1000);
            h.writeZero(10);
            r.write(h);
            r.socket.shutdownOutput();
            r.assertClosed();
        }
    }

    @Test
    void oversizedLength() throws Exception {
        try (Raw r = new Raw()) {
            ByteBuf h = Unpooled.buffer();
            FrameEncoder.writeHeader(h, 1, Opcode.PUT.code(), 0, 0, 77, 0xFFFF_FFF0L);
            r.write(h);
            RawFrame f = r.read();
            assertThat(f.status).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
            assertThat(f.requestId).isEqualTo(77);
            assertThat(f.message()).contains("4294967280").contains("maxFrameBytes 4194304");
            r.assertClosed();
        }
    }

    @Test
    void unknownOpcodeIsAnsweredAndTheConnectionStaysUsable() throws Exception {
        try (Raw r = new Raw()) {
            r.hello();
            ByteBuf h = Unpooled.buffer();
            FrameEncoder.writeHeader(h, 1, 0xEE, 0, 0, 9, 3);
            h.writeBytes(new byte[] {1, 2, 3});
            r.write(h);
            RawFrame f = r.read();
            assertThat(f.status).isEqualTo(ErrorCode.UNKNOWN_OPCODE);
            assertThat(f.requestId).isEqualTo(9);
            assertThat(f.message()).contains("0xee");
            ByteBuf p = Unpooled.buffer();
            FrameEncoder.writeHeader(p, 1, Opcode.PING.code(), 0, 0, 10, 2);
            p.writeBytes("ok".getBytes(StandardCharsets.US_ASCII));
            r.write(p);
            RawFrame pong = r.read();
            assertThat(pong.status).isEqualTo(ErrorCode.OK);
            assertThat(new String(pong.body, StandardCharsets.US_ASCII)).isEqualTo("ok");
        }
    }

    @Test
    void aHybridLookupWithABadGroupListIsMalformedAndTheConnectionStaysUsable() throws Exception {
        List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
        try (Raw r = new Raw()) {
            RawFrame hello = r.hello(0);
            assertThat(HelloReply.read(Unpooled.wrappedBuffer(hello.body)).answersHybridLookup()).isTrue();
            // group 0 must be full attention; kind 7 does not exist
            for (byte[] groups : new byte[][] {{1, 2, 0, 0, 3, (byte) 0xE8}, {2, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1}}) {
                RawFrame err = r.hybridLookup(groups, keys);
                assertThat(err.status).isEqualTo(ErrorCode.MALFORMED);
                assertThat(err.message()).containsAnyOf("group 0 must be Group.full()", "kind 7");
            }
            // the same session then gets a well-formed answer, byte for byte as docs/protocol.md lays it out
            RawFrame ok = r.hybridLookup(new byte[] {1, 0, 0, 0, 0, 0}, keys);
            assertThat(ok.status).isEqualTo(ErrorCode.OK);
            ByteBuffer b = ByteBuffer.wrap(ok.body);
            assertThat(b.getInt()).as("resumeBlocks").isEqualTo(16);
            assertThat(b.getInt()).as("prefixHitBlocks").isEqualTo(16);
            assertThat(b.get()).as("tier names").isEqualTo((byte) 1);
            byte[] name = new byte[b.getShort()];
            b.get(name);
            assertThat(new String(name, StandardCharsets.UTF_8)).isEqualTo("dram");
            assertThat(b.getInt()).as("objects").isEqualTo(16);
            for (int i = 0; i < 16; i++) {
                assertThat(b.get()).isZero();
            }
            assertThat(b.hasRemaining()).isFalse();
        }
    }

    @Test
    void aClientThatStopsReadingMidStreamDoesNotMakeTheServerBuffer() throws Exception {
        long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        try (Raw r = new Raw()) {
            r.socket.setReceiveBufferSize(64 << 10);
            r.hello();
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            // 32 pipelined GETs of 16 x 256 KiB = 128 MiB asked for, none of it read for a while
            ByteBuf all = Unpooled.buffer();
            for (int i = 0; i < 32; i++) {
                ByteBuf body = Unpooled.buffer();
                Wire.writeKeys(body, keys);
                FrameEncoder.writeHeader(all, 1, Opcode.GET.code(), 0, 0, 100 + i, body.readableBytes());
                all.writeBytes(body);
                body.release();
            }
            r.write(all);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (r.socket.getInputStream().available() == 0) { // the server has begun streaming to us
                assertThat(System.nanoTime()).as("the server starts streaming").isLessThan(deadline);
                Thread.sleep(10);
            }
            Thread.sleep(1500); // time to fill our receive buffer and its own, and to stop there
            long grown = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - directBefore;
            assertThat(grown).as("direct memory held for the stalled reader").isLessThan(32L << 20);
            assertThat(served.get()).as("others are served while it stalls").isPositive();
        }
    }

    @Test
    void aClientThatDisconnectsMidPutKeepsTheBlocksItSentWhole() throws Exception {
        // 24 whole frames written at once, then half of the 25th: at the close most whole frames are still queued
        // behind the first blocks being stored, and are stored all the same
        int whole = 24;
        int[] t = ClientServerTest.tokens(whole + 1, 12);
        List<ByteBuffer> p = ClientServerTest.payloads(whole + 1, 12);
        List<BlockPayload> blocks = checksummedChain(NS, t, p);
        try (Raw r = new Raw()) {
            r.hello();
            ByteBuf all = Unpooled.buffer();
            for (int i = 0; i < whole; i++) {
                ByteBuf f = putFrame(blocks.get(i), 500, false);
                all.writeBytes(f);
                f.release();
            }
            ByteBuf last = putFrame(blocks.get(whole), 500, true);
            all.writeBytes(last, 0, last.readableBytes() / 2);
            last.release();
            r.write(all);
        } // closed mid-frame
        List<BlockKey> keys = new PrefixHasher(NS).hash(t);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (good.lookup(NS, keys).hitBlocks() < whole && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(good.lookup(NS, keys).hitBlocks()).isEqualTo(whole);
        List<ReceivedBlock> got = good.getBlocks(NS, keys);
        try {
            assertThat(got).hasSize(whole);
            for (int i = 0; i < whole; i++) {
                assertThat(got.get(i).payload()).isEqualTo(p.get(i).duplicate());
            }
        } finally {
            got.forEach(ReceivedBlock::close);
        }
    }

    @Test
    void aFloodOfPipelinedRequestsIsThrottledAndAnsweredInOrder() throws Exception {
        try (Raw r = new Raw()) {
            r.hello();
            // 2000 PINGs in one write: far more than maxPipelinedRequests (128), so the server stops reading
            // this connection while it drains, and answers every request, in order
            ByteBuf all = Unpooled.buffer();
            for (int i = 0; i < 2000; i++) {
                FrameEncoder.writeHeader(all, 1, Opcode.PING.code(), 0, 0, 1000 + i, 4);
                all.writeInt(i);
            }
            r.write(all);
            for (int i = 0; i < 2000; i++) {
                RawFrame f = r.read();
                assertThat(f.status).isEqualTo(ErrorCode.OK);
                assertThat(f.requestId).isEqualTo(1000 + i);
                assertThat(ByteBuffer.wrap(f.body).getInt()).isEqualTo(i);
            }
        }
    }

    @Test
    void aServerChecksumPutWithoutTheHelloFeatureIsMalformedAndStoresNothing() throws Exception {
        int[] t = ClientServerTest.tokens(2, 13);
        List<BlockPayload> blocks = checksummedChain(NS, t, ClientServerTest.payloads(2, 13));
        try (Raw r = new Raw()) {
            r.hello();
            r.write(putFrame(blocks.get(0), 600, false, FrameDescriptor.FLAG_SERVER_CHECKSUM, 0));
            r.write(putFrame(blocks.get(1), 600, true, FrameDescriptor.FLAG_SERVER_CHECKSUM, 0));
            RawFrame f = r.read();
            assertThat(f.status).isEqualTo(ErrorCode.MALFORMED);
            assertThat(f.requestId).isEqualTo(600);
            assertThat(f.message()).contains("SERVER_CHECKSUM").contains("feature 0x02 in HELLO");
        }
        assertThat(good.lookup(NS, new PrefixHasher(NS).hash(t)).hitBlocks()).isZero();
    }

    @Test
    void aServerChecksumPutStoresTheChecksumOfTheBytesThatArrived() throws Exception {
        int[] t = ClientServerTest.tokens(2, 14);
        List<ByteBuffer> p = ClientServerTest.payloads(2, 14);
        List<BlockPayload> blocks = checksummedChain(NS, t, p);
        try (Raw r = new Raw()) {
            RawFrame hello = r.hello(Hello.FEATURE_SERVER_CHECKSUM);
            assertThat(HelloReply.read(Unpooled.wrappedBuffer(hello.body))
                    .grantsServerChecksum()).isTrue();
            r.write(putFrame(blocks.get(0), 601, false, FrameDescriptor.FLAG_SERVER_CHECKSUM, 0));
            r.write(putFrame(blocks.get(1), 601, true, FrameDescriptor.FLAG_SERVER_CHECKSUM, 0xDEAD));
            RawFrame ack = r.read();
            assertThat(ack.status).isEqualTo(ErrorCode.OK);
            assertThat(ack.body).startsWith(0, 0, 0, 2, 0, 0); // two codes, both STORED
        }
        List<ReceivedBlock> got = good.getBlocks(NS, new PrefixHasher(NS).hash(t));
        try {
            assertThat(got).hasSize(2);
            for (int i = 0; i < 2; i++) {
                assertThat(got.get(i).meta().crc32c()).isEqualTo(blocks.get(i).meta().crc32c());
                assertThat(got.get(i).payload()).isEqualTo(p.get(i).duplicate());
            }
        } finally {
            got.forEach(ReceivedBlock::close);
        }
    }

    @Test
    void aPutCutOffInsideAPayloadReceivedInPlaceLeavesTheTierAsItWas() throws Exception {
        int[] t = ClientServerTest.tokens(1, 15);
        List<ByteBuffer> p = List.of(ByteBuffer.wrap(new byte[BLOCK]));
        BlockPayload b = checksummedChain(NS, t, p).get(0);
        Tier dram = server.store().tiers().get(0);
        long used = dram.usedBytes();
        try (Raw r = new Raw()) {
            r.hello();
            ByteBuf f = putFrame(b, 700, true);
            r.write(f.readRetainedSlice(f.readableBytes() / 2));
            f.release();
            // the payload is being received into pages the store reserved for it
            awaitDetail(dram, "reserved_pages", n -> n > 0);
            assertThat(dram.usedBytes()).isEqualTo(used);
        } // gone mid-payload
        awaitDetail(dram, "reserved_pages", n -> n == 0);
        assertThat(dram.usedBytes()).isEqualTo(used);
        List<BlockKey> keys = new PrefixHasher(NS).hash(t);
        assertThat(good.lookup(NS, keys).hitBlocks()).isZero();
        assertThat(good.putBlocks(NS, List.of(b)).allCached()).as("the key is free again").isTrue();
    }

    @Test
    void aClientThatStallsInsideAPayloadIsClosedAndItsReservationGivenBack() throws Exception {
        int[] t = ClientServerTest.tokens(1, 18);
        BlockPayload b = checksummedChain(NS, t, List.of(ByteBuffer.wrap(new byte[BLOCK]))).get(0);
        Tier dram = server.store().tiers().get(0);
        long used = dram.usedBytes();
        try (Raw r = new Raw()) {
            r.hello();
            ByteBuf f = putFrame(b, 702, true);
            r.write(f.readRetainedSlice(f.readableBytes() / 2));
            f.release();
            awaitDetail(dram, "reserved_pages", n -> n > 0);
            long t0 = System.nanoTime();
            r.socket.setSoTimeout(20_000);
            r.assertClosed(); // a slow-loris: half a value, then nothing, on an open socket
            assertThat((System.nanoTime() - t0) / 1_000_000).as("closed after maxLeaseMillis, by the 5 s watchdog")
                    .isBetween(1_000L, 15_000L);
        }
        awaitDetail(dram, "reserved_pages", n -> n == 0);
        assertThat(dram.usedBytes()).isEqualTo(used);
        assertThat(good.putBlocks(NS, List.of(b)).allCached()).as("the key is free again").isTrue();
    }

    @Test
    void aBadChecksumReceivedInPlaceIsAnsweredAndStoresNothing() throws Exception {
        int[] t = ClientServerTest.tokens(2, 16);
        List<BlockPayload> blocks = checksummedChain(NS, t, ClientServerTest.payloads(2, 16));
        Tier dram = server.store().tiers().get(0);
        long used = dram.usedBytes();
        try (Raw r = new Raw()) {
            r.hello();
            r.write(putFrame(blocks.get(0), 701, false, 0, blocks.get(0).meta().crc32c() ^ 1));
            r.write(putFrame(blocks.get(1), 701, true));
            RawFrame ack = r.read();
            assertThat(ack.status).isEqualTo(ErrorCode.OK);
            StatusList codes = StatusList.read(Unpooled.wrappedBuffer(ack.body));
            assertThat(PutCode.of(codes.codes()[0])).isEqualTo(PutCode.BAD_CHECKSUM);
            assertThat(PutCode.of(codes.codes()[1])).isEqualTo(PutCode.STORED);
        }
        List<BlockKey> keys = new PrefixHasher(NS).hash(t);
        assertThat(server.store().contains(NS.id(), keys.get(0))).isFalse();
        assertThat(server.store().contains(NS.id(), keys.get(1))).isTrue();
        assertThat(dram.stats().details()).containsEntry("reserved_pages", 0L);
        assertThat(dram.usedBytes()).isEqualTo(used + dram.footprint(blocks.get(1).meta().length()));
    }

    @Test
    void aBlockOverTheQuotaGivesItsReservationBack() throws Exception {
        try (KvServer q = TestServers.start(TestServers.config(dir.resolve("quota"))
                .assignment("tenantQuotaBytes=*=" + (3 * ClientServerTest.BLOCK / 2)))) {
            int[] t = ClientServerTest.tokens(2, 17);
            List<BlockPayload> blocks = checksummedChain(NS, t, ClientServerTest.payloads(2, 17));
            Tier dram = q.store().tiers().get(0);
            try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", q.port()))) {
                PutAck ack = c.putBlocks(NS, blocks);
                assertThat(ack.statuses()).as("the second block is over the quota").hasSize(1);
            } catch (KvStoreException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
            }
            List<BlockKey> keys = new PrefixHasher(NS).hash(t);
            assertThat(q.store().contains(NS.id(), keys.get(0))).isTrue();
            assertThat(q.store().contains(NS.id(), keys.get(1))).isFalse();
            awaitDetail(dram, "reserved_pages", n -> n == 0);
            assertThat(dram.blockCount()).isEqualTo(1);
        }
    }

    private static void awaitDetail(Tier tier, String detail, LongPredicate until) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!until.test(tier.stats().details().get(detail))) {
            assertThat(System.nanoTime()).as("%s of %s: %s", detail, tier.name(), tier.stats().details().get(detail))
                    .isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    static ByteBuf putFrame(BlockPayload b, long id, boolean end) {
        return putFrame(b, id, end, 0, b.meta().crc32c());
    }

    /** A PUT frame with extra flags and the given value in the block header's crc32c field. */
    static ByteBuf putFrame(BlockPayload b, long id, boolean end, int flags, int crcField) {
        BlockMeta real = b.meta();
        BlockMeta m = new BlockMeta(real.key(), real.parent(), real.position(), real.namespaceId(), real.layoutId(),
                real.length(), crcField);
        ByteBuf f = Unpooled.buffer();
        FrameEncoder.writeHeader(f, 1, Opcode.PUT.code(), (end ? FrameDescriptor.FLAG_END : 0) | flags, 0, id,
                80L + m.length());
        Wire.writeBlockHeader(f, m);
        f.writeBytes(b.payload().duplicate());
        return f;
    }

    record RawFrame(int opcode, ErrorCode status, long requestId, byte[] body) {
        String message() {
            return Wire.readString(Unpooled.wrappedBuffer(body), 65535, "message");
        }
    }

    /** A hand-driven socket that speaks (or breaks) the protocol byte by byte. */
    final class Raw implements AutoCloseable {
        final Socket socket;
        final OutputStream out;
        final DataInputStream in;

        Raw() throws IOException {
            socket = new Socket("127.0.0.1", server.port());
            socket.setSoTimeout(10_000);
            out = socket.getOutputStream();
            in = new DataInputStream(socket.getInputStream());
        }

        void write(ByteBuf b) throws IOException {
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            b.release();
            out.write(a);
            out.flush();
        }

        void hello() throws IOException {
            hello(0);
        }

        RawFrame hello(int features) throws IOException {
            ByteBuf body = Unpooled.buffer();
            new Hello(1, NS, "", features).write(body);
            ByteBuf f = Unpooled.buffer();
            FrameEncoder.writeHeader(f, 1, Opcode.HELLO.code(), 0, 0, 1, body.readableBytes());
            f.writeBytes(body);
            body.release();
            write(f);
            RawFrame reply = read();
            assertThat(reply.status).isEqualTo(ErrorCode.OK);
            return reply;
        }

        /** HYBRID_LOOKUP with no lease: {@code groups} is the body's {@code u8 groupCount} and group list. */
        RawFrame hybridLookup(byte[] groups, List<BlockKey> keys) throws IOException {
            ByteBuf body = Unpooled.buffer();
            body.writeInt(0).writeBytes(groups);
            Wire.writeKeys(body, keys);
            ByteBuf f = Unpooled.buffer();
            FrameEncoder.writeHeader(f, 1, Opcode.HYBRID_LOOKUP.code(), 0, 0, 5, body.readableBytes());
            f.writeBytes(body);
            body.release();
            write(f);
            return read();
        }

        RawFrame read() throws IOException {
            assertThat(in.readShort()).isEqualTo(FrameDescriptor.MAGIC);
            in.readUnsignedByte();
            int op = in.readUnsignedByte();
            in.readUnsignedByte();
            int status = in.readUnsignedByte();
            in.readShort();
            long id = in.readLong();
            int len = in.readInt();
            byte[] body = new byte[len];
            in.readFully(body);
            return new RawFrame(op, ErrorCode.of(status), id, body);
        }

        void assertClosed() throws IOException {
            try {
                int b = in.read();
                assertThat(b).as("server closed the connection").isEqualTo(-1);
            } catch (EOFException | java.net.SocketException e) {
                // closed (possibly reset)
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Chained blocks with their CRC32C computed now: these tests write the frames themselves. */
    private static List<BlockPayload> checksummedChain(io.kvstore.core.namespace.Namespace ns, int[] tokens,
                                                      List<ByteBuffer> payloads) {
        return BlockPayload.chain(ns, tokens, payloads).stream().map(BlockPayload::checksummed).toList();
    }
}
