package io.kvstore.protocol;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.protocol.body.Hello;
import io.kvstore.protocol.body.LookupReply;
import io.kvstore.protocol.body.LookupRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class FrameCodecTest {

    /** PING, flags 0, request id 7, body "hi": the byte layout of docs/protocol.md. */
    static final String PING_FIXTURE = "4b56" + "01" + "0a" + "00" + "00" + "0000" + "0000000000000007" + "00000002"
            + "6869";

    private static EmbeddedChannel decoder(int maxFrame) {
        return new EmbeddedChannel(new FrameDecoder(new ProtocolLimits(maxFrame, 16, 256)));
    }

    private static ByteBuf hex(String h) {
        return Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(h));
    }

    @Test
    void decodesTheFixture() {
        EmbeddedChannel ch = decoder(1024);
        ch.writeInbound(hex(PING_FIXTURE));
        Frame f = ch.readInbound();
        try {
            assertThat(f.opcode()).isEqualTo(Opcode.PING);
            assertThat(f.requestId()).isEqualTo(7);
            assertThat(f.version()).isEqualTo(1);
            assertThat(f.body().toString(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("hi");
        } finally {
            f.release();
        }
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void encoderProducesTheFixture() {
        EmbeddedChannel ch = new EmbeddedChannel(FrameEncoder.INSTANCE);
        ch.writeOutbound(Frame.request(Opcode.PING, 0, 7, Unpooled.copiedBuffer(new byte[] {'h', 'i'})));
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            all.writeBytes(b);
            b.release();
        }
        assertThat(ByteBufUtil.hexDump(all)).isEqualTo(PING_FIXTURE);
        all.release();
    }

    @Test
    void aLargeFrameArrivingInPiecesIsAssembledWholeInOneBufferSizedForIt() {
        EmbeddedChannel ch = decoder(4 << 20);
        byte[] body = new byte[(2 << 20) + 80];
        new java.util.SplittableRandom(3).nextBytes(body);
        ByteBuf wire = Unpooled.buffer();
        FrameEncoder.writeHeader(wire, 1, Opcode.PUT.code(), FrameDescriptor.FLAG_END, 0, 42, body.length);
        wire.writeBytes(body);
        wire.writeBytes(ByteBufUtil.decodeHexDump(PING_FIXTURE)); // a small frame right behind it
        int piece = 64 << 10;
        int largestCapacity = 0;
        while (wire.isReadable()) {
            ch.writeInbound(wire.readRetainedSlice(Math.min(piece, wire.readableBytes())));
            Frame f = ch.readInbound();
            if (f != null) {
                try {
                    if (f.opcode() == Opcode.PUT) {
                        assertThat(f.requestId()).isEqualTo(42);
                        assertThat(ByteBufUtil.getBytes(f.body())).isEqualTo(body);
                        ByteBuf root = f.body();
                        while (root.unwrap() != null) {
                            root = root.unwrap();
                        }
                        largestCapacity = root.capacity();
                        Frame ping = ch.readInbound();
                        assertThat(ping.opcode()).isEqualTo(Opcode.PING);
                        ping.release();
                    } else {
                        assertThat(f.opcode()).isEqualTo(Opcode.PING);
                    }
                } finally {
                    f.release();
                }
            }
        }
        wire.release();
        // assembled in a buffer of the frame's size (not grown by doubling to 4 MiB)
        assertThat(largestCapacity).isBetween(20 + body.length, 20 + body.length + piece);
        ch.finish();
    }

    @Test
    void waitsForSplitFramesByteByByte() {
        EmbeddedChannel ch = decoder(1024);
        byte[] bytes = ByteBufUtil.decodeHexDump(PING_FIXTURE + PING_FIXTURE);
        for (byte b : bytes) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        for (int i = 0; i < 2; i++) {
            Frame f = ch.readInbound();
            assertThat(f.opcode()).isEqualTo(Opcode.PING);
            f.release();
        }
        assertThat((Object) ch.readInbound()).isNull();
        ch.finish();
    }

    @Test
    void badMagicIsATypedFatalErrorAndTheRestIsDiscarded() {
        EmbeddedChannel ch = decoder(1024);
        ch.writeInbound(hex("474554202f20485454502f312e310d0a" + PING_FIXTURE)); // "GET / HTTP/1.1\r\n"
        DecodeError e = ch.readInbound();
        assertThat(e.code()).isEqualTo(ErrorCode.BAD_MAGIC);
        assertThat(e.code().fatal()).isTrue();
        assertThat(e.message()).contains("0x4745");
        ch.writeInbound(hex(PING_FIXTURE));
        assertThat((Object) ch.readInbound()).isNull();
        ch.finish();
    }

    @Test
    void oversizedLengthIsRefusedBeforeTheBodyArrives() {
        EmbeddedChannel ch = decoder(1024);
        ch.writeInbound(hex("4b56010300000000" + "0000000000000009" + "7fffffff"));
        DecodeError e = ch.readInbound();
        assertThat(e.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(e.requestId()).isEqualTo(9);
        assertThat(e.message()).contains("2147483647").contains("1004");
        ch.finish();
    }

    @Test
    void unknownVersionNamesTheSupportedOnes() {
        EmbeddedChannel ch = decoder(1024);
        ch.writeInbound(hex("4b56020a00000000" + "0000000000000001" + "00000000"));
        DecodeError e = ch.readInbound();
        assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
        assertThat(e.message()).contains("version 2").contains("[1]");
        ch.finish();
    }

    @Test
    void unknownOpcodeStillFramesSoTheDispatcherCanAnswer() {
        EmbeddedChannel ch = decoder(1024);
        ch.writeInbound(hex("4b5601ee00000000" + "0000000000000003" + "00000000"));
        Frame f = ch.readInbound();
        assertThat(f.opcode()).isNull();
        assertThat(f.opcodeCode()).isEqualTo(0xee);
        f.release();
        ch.finish();
    }

    @Test
    void closeInsideAFrameIsReportedAsTruncated() {
        EmbeddedChannel ch = decoder(1024);
        ch.writeInbound(hex(PING_FIXTURE.substring(0, 30)));
        ch.close();
        DecodeError e = ch.readInbound();
        assertThat(e.code()).isEqualTo(ErrorCode.TRUNCATED);
    }

    @Test
    void helloAndLookupBodiesRoundTrip() {
        Namespace ns = new Namespace("m", KvLayout.llama3_8b(16), "t", "s", "");
        ByteBuf b = Unpooled.buffer();
        new Hello(1, ns, "tok").write(b);
        Hello h = Hello.read(b, ProtocolLimits.DEFAULT);
        assertThat(h.namespace()).isEqualTo(ns);
        assertThat(h.token()).isEqualTo("tok");
        b.clear();
        List<BlockKey> keys = List.of(BlockKey.synthetic(1, 2), BlockKey.synthetic(3, 4));
        new LookupRequest(50, keys).write(b);
        assertThat(LookupRequest.read(b, ProtocolLimits.DEFAULT)).isEqualTo(new LookupRequest(50, keys));
        b.clear();
        new LookupReply(3, List.of("dram", "nvme", "dram")).write(b);
        assertThat(LookupReply.read(b).tiers()).containsExactly("dram", "nvme", "dram");
        b.release();
    }

    @Test
    void keyCountsAreCheckedBeforeAllocation() {
        ByteBuf b = Unpooled.buffer().writeInt(0).writeInt(Integer.MAX_VALUE);
        assertThatThrownBy(() -> LookupRequest.read(b, ProtocolLimits.DEFAULT))
                .isInstanceOf(ProtocolException.class)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED));
        ByteBuf c = Unpooled.buffer().writeInt(0).writeInt(3).writeZero(40);
        assertThatThrownBy(() -> LookupRequest.read(c, ProtocolLimits.DEFAULT))
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.MALFORMED));
        b.release();
        c.release();
    }

    @Test
    void blockHeaderRejectsALengthThatDisagreesWithTheFrame() {
        BlockMeta m = new BlockMeta(BlockKey.synthetic(1, 1), BlockKey.synthetic(1, 0), 1, 5, 7, 4, 99);
        ByteBuf b = Unpooled.buffer();
        Wire.writeBlockHeader(b, m);
        b.writeInt(0x01020304);
        assertThat(Wire.readBlockHeader(b.duplicate(), 5)).isEqualTo(m);
        b.writeByte(0);
        assertThatThrownBy(() -> Wire.readBlockHeader(b, 5)).hasMessageContaining("length field says 4");
        b.release();
    }
}
