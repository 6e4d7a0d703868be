package io.kvstore.reliability;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.Hello;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;

import static io.kvstore.reliability.Fixtures.ACME;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that misbehave on purpose: one that asks for a large GET and never reads, one that vanishes (RST)
 * mid-stream, one that stops inside a PUT request or inside a frame. After each the server must have closed the
 * connection, released what it held for it (Netty's direct memory does not grow across rounds, no block handle
 * leaks), and keep serving others byte-exactly.
 */
@Timeout(120)
class HostileClientTest {

    static final int BLOCK = 256 << 10;
    static final int BLOCKS = 64;

    @TempDir
    Path dir;
    KvServer server;
    KvStoreClient good;
    List<BlockPayload> blocks;
    List<BlockKey> keys;

    @BeforeEach
    void start() throws Exception {
        server = TestServers.start(TestServers.config(dir).assignment("writeBufferHighBytes=1MiB")
                .assignment("writeBufferLowBytes=256KiB"));
        good = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()));
        blocks = Fixtures.chain(ACME, BLOCKS, BLOCK, 3);
        assertThat(good.putBlocks(ACME, blocks).allCached()).isTrue();
        keys = blocks.stream().map(b -> b.meta().key()).toList();
    }

    @AfterEach
    void stop() {
        good.close();
        server.close();
    }

    @Test
    void vanishingAndStalledClientsLeaveNothingBehind() throws Exception {
        long openBefore = RefCountedHandle.open();
        long afterWarmup = 0;
        int rounds = 24;
        for (int round = 0; round < rounds; round++) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                OutputStream out = s.getOutputStream();
                out.write(frame(Opcode.HELLO, 0, 1, hello()));
                switch (round % 4) {
                    case 0 -> { // GET 16 MiB and never read: the server parks the stream at its high watermark
                        out.write(frame(Opcode.GET, 0, 2, keyList(keys)));
                        Thread.sleep(300);
                    }
                    case 1 -> { // GET, read a little, then reset the connection mid-stream
                        out.write(frame(Opcode.GET, 0, 2, keyList(keys)));
                        s.getInputStream().readNBytes(100_000);
                        s.setSoLinger(true, 0);
                    }
                    case 2 -> { // a PUT request whose END never comes
                        for (int i = 0; i < 4; i++) {
                            out.write(frame(Opcode.PUT, 0, 3, putBody(Fixtures.chain(ACME, 4, BLOCK, 100)
                                    .get(i))));
                        }
                    }
                    default -> { // a frame cut in the middle of its body
                        byte[] f = frame(Opcode.PUT, FrameDescriptor.FLAG_END, 4,
                                putBody(Fixtures.chain(ACME, 1, BLOCK, 200).get(0)));
                        out.write(f, 0, f.length / 2);
                    }
                }
                out.flush();
            }
            awaitNoConnectionsButTheGoodOne(round);
            if (round == 7) {
                afterWarmup = directMemory();
            }
        }
        long end = directMemory();
        System.out.printf("HOSTILE CLIENTS: %d rounds; direct memory (Netty + JVM pool) after warm-up %d bytes, at the end %d "
                + "bytes; handle leaks %d%n", rounds, afterWarmup, end, RefCountedHandle.leaks());
        // pooled chunks are reused, never added per client: growth bounded by one 4 MiB chunk per arena in use
        assertThat(end - afterWarmup).as("direct memory growth across rounds").isLessThanOrEqualTo(8L << 20);
        // every handle the hostile clients caused is closed (not left for the garbage collector to find)
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (RefCountedHandle.open() > openBefore && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(RefCountedHandle.open()).as("block handles still open").isLessThanOrEqualTo(openBefore);
        assertThat(RefCountedHandle.leaks()).as("block handles the garbage collector found unclosed").isZero();
        // the good client still gets every byte right
        List<ReceivedBlock> got = good.getBlocks(ACME, keys);
        try {
            assertThat(got).hasSize(BLOCKS);
            for (int i = 0; i < BLOCKS; i++) {
                assertThat(Checksums.matches(got.get(i).meta(), got.get(i).payload())).isTrue();
                assertThat(got.get(i).payload()).isEqualTo(blocks.get(i).payload().duplicate().rewind());
            }
        } finally {
            got.forEach(ReceivedBlock::close);
        }
    }

    /** Netty's own direct memory counter (when it has one) plus the JVM's direct buffer pool. */
    private static long directMemory() {
        long jvm = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return Math.max(0, PlatformDependent.usedDirectMemory()) + jvm;
    }

    private void awaitNoConnectionsButTheGoodOne(int round) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Metrics.sum(server, "kvstore_open_connections", "") > 1) {
            assertThat(System.nanoTime()).as("round %d: the server closed the connection", round).isLessThan(deadline);
            Thread.sleep(20);
        }
        while (Metrics.sum(server, "kvstore_inflight_requests", "") > 0) {
            assertThat(System.nanoTime()).as("round %d: the server dropped the connection's requests", round).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static byte[] hello() {
        ByteBuf b = Unpooled.buffer();
        new Hello(1, ACME, "").write(b);
        return ByteBufUtil.getBytes(b);
    }

    private static byte[] keyList(List<BlockKey> keys) {
        ByteBuf b = Unpooled.buffer();
        Wire.writeKeys(b, keys);
        return ByteBufUtil.getBytes(b);
    }

    private static byte[] putBody(BlockPayload p) {
        ByteBuf b = Unpooled.buffer();
        Wire.writeBlockHeader(b, p.meta());
        b.writeBytes(p.payload().duplicate());
        return ByteBufUtil.getBytes(b);
    }

    private static byte[] frame(Opcode op, int flags, long id, byte[] body) {
        ByteBuf b = Unpooled.buffer(FrameDescriptor.HEADER_BYTES + body.length);
        b.writeShort(FrameDescriptor.MAGIC).writeByte(FrameDescriptor.VERSION).writeByte(op.code()).writeByte(flags)
                .writeByte(0).writeShort(0).writeLong(id).writeInt(body.length).writeBytes(body);
        return ByteBufUtil.getBytes(b);
    }
}
