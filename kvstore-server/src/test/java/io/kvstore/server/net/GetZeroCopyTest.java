package io.kvstore.server.net;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.core.store.TieredStore;
import io.kvstore.protocol.BlockDescriptor;
import io.kvstore.protocol.Frame;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.Hello;
import io.kvstore.server.admin.ServerMetrics;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.tier.TierFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.internal.PlatformDependent;
import io.kvstore.tier.dram.DramTier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The GET data path on an {@link EmbeddedChannel}: a DRAM hit is written as the tier's own off-heap memory (same
 * address, no copy: with the arena in mapped files, a slice of the mapping), and the tier handle is released once
 * Netty has written the buffer.
 */
@Timeout(30)
class GetZeroCopyTest {

    @TempDir
    Path dir;

    /** {@code persist}: the arena in mapped files (the daemon's default, here under the temp dir) or private memory. */
    @ParameterizedTest(name = "arena in files: {0}")
    @ValueSource(booleans = {true, false})
    void dramHitsGoOutAsTheTiersOwnMemory(boolean persist) throws Exception {
        ServerConfig config = ConfigLoader.builder().flag("dataDir", dir).assignment("hbmCapacityBytes=0")
                .assignment("dramCapacityBytes=16MiB").assignment("nvmeCapacityBytes=0")
                .assignment(persist ? "dramPersistDir=" + dir.resolve("arena") : "dramPersist=false").load();
        List<TierFactory.Level> levels = TierFactory.build(config);
        assertThat(((DramTier) levels.get(0).spec().tier()).config().persistent()).isEqualTo(persist);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new ArrayBlockingQueue<>(4));
        Namespace ns = Namespace.of("m", new KvLayout("bf16", 1, 1, 8, 16));
        try (TieredStore store = TieredStore.builder().tier(levels.get(0).spec()).build()) {
            byte[] bytes = new byte[256 << 10];
            bytes[7] = 42;
            BlockKey key = BlockKey.synthetic(1, 2);
            BlockMeta meta = new BlockMeta(key, ns.root(), 0, ns.id(), ns.layoutId(), bytes.length,
                    Checksums.crc32c(ByteBuffer.wrap(bytes)));
            assertThat(store.put(meta, ByteBuffer.wrap(bytes)).status().isCached()).isTrue();
            long tierAddress;
            try (BlockHandle h = levels.get(0).spec().tier().read(key).handle()) {
                tierAddress = PlatformDependent.directBufferAddress(h.payload());
            }

            ServerContext sc = ServerContext.of(config, store, levels, new ServerMetrics(), pool, new Lifecycle());
            EnumMap<Opcode, OpHandler> handlers = new EnumMap<>(Opcode.class);
            handlers.put(Opcode.HELLO, new HelloHandler());
            handlers.put(Opcode.GET, new GetHandler());
            EmbeddedChannel ch = new EmbeddedChannel(new Connection(sc, handlers));

            ByteBuf hello = Unpooled.buffer();
            new Hello(1, ns, "").write(hello);
            ch.writeInbound(Frame.request(Opcode.HELLO, 0, 1, hello));
            ch.runPendingTasks();
            Frame reply = ch.readOutbound();
            assertThat(reply.status().name()).isEqualTo("OK");
            reply.release();

            ByteBuf get = Unpooled.buffer();
            Wire.writeKeys(get, List.of(key));
            ch.writeInbound(Frame.request(Opcode.GET, 0, 2, get));
            ch.runPendingTasks();
            ByteBuf head = ch.readOutbound();
            ByteBuf payload = ch.readOutbound();
            Frame end = ch.readOutbound();
            try {
                assertThat(head.readableBytes()).isEqualTo(FrameDescriptor.HEADER_BYTES + BlockDescriptor.BYTES);
                assertThat(payload.isDirect()).isTrue();
                assertThat(payload.hasMemoryAddress()).isTrue();
                assertThat(payload.memoryAddress() + payload.readerIndex()).as("no copy").isEqualTo(tierAddress);
                assertThat(payload.getByte(payload.readerIndex() + 7)).isEqualTo((byte) 42);
                assertThat(end.hasFlag(FrameDescriptor.FLAG_END)).isTrue();
                assertThat(end.body().getInt(0)).isEqualTo(1);
            } finally {
                head.release();
                payload.release();
                end.release();
            }
            assertThat(ch.finish()).isFalse();
        } finally {
            pool.shutdownNow();
        }
    }
}
