package io.kvstore.server.door;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ReplyBufferTest {

    private static ReplyBuffer on(EmbeddedChannel ch) {
        ChannelHandlerContext ctx = ch.pipeline().context(ChannelInboundHandlerAdapter.class);
        return new ReplyBuffer(ctx);
    }

    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new ChannelInboundHandlerAdapter());
    }

    private static String text(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.US_ASCII);
        } finally {
            b.release();
        }
    }

    @Test
    void smallRepliesLeaveAsOneBufferAtTheFlush() {
        EmbeddedChannel ch = channel();
        ReplyBuffer out = on(ch);
        for (int i = 0; i < 16; i++) {
            ReplyBuffer.writeDecimal(out.append(8).writeByte(':'), i).writeByte('\r').writeByte('\n');
        }
        assertThat((Object) ch.readOutbound()).isNull(); // nothing written before the flush
        out.flush();
        ByteBuf b = ch.readOutbound();
        assertThat(text(b)).isEqualTo(":0\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n:8\r\n:9\r\n:10\r\n:11\r\n:12\r\n"
                + ":13\r\n:14\r\n:15\r\n");
        assertThat((Object) ch.readOutbound()).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void aPayloadIsWrittenAfterTheBytesAppendedBeforeIt() {
        EmbeddedChannel ch = channel();
        ReplyBuffer out = on(ch);
        out.append(8).writeCharSequence("$5\r\n", StandardCharsets.US_ASCII);
        ByteBuf payload = Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII);
        out.write(payload);
        out.append(2).writeCharSequence("\r\n", StandardCharsets.US_ASCII);
        out.flush();
        assertThat(text(ch.readOutbound())).isEqualTo("$5\r\n");
        assertThat(text(ch.readOutbound())).isEqualTo("hello");
        assertThat(text(ch.readOutbound())).isEqualTo("\r\n");
        assertThat((Object) ch.readOutbound()).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void aFullBufferIsHandedToTheChannelSoThatItsWritabilityCountsIt() {
        EmbeddedChannel ch = channel();
        ReplyBuffer out = on(ch);
        byte[] value = new byte[ReplyBuffer.CHUNK - 100];
        out.append(value.length).writeBytes(value);
        out.append(value.length).writeBytes(value); // does not fit behind the first: the first goes to the channel
        assertThat(ch.unsafe().outboundBuffer().totalPendingWriteBytes()).isGreaterThanOrEqualTo(value.length);
        out.flush();
        ByteBuf first = ch.readOutbound();
        ByteBuf second = ch.readOutbound();
        assertThat(first.readableBytes()).isEqualTo(value.length);
        assertThat(second.readableBytes()).isEqualTo(value.length);
        first.release();
        second.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void discardReleasesWhatWasNotWritten() {
        EmbeddedChannel ch = channel();
        ReplyBuffer out = on(ch);
        ByteBuf b = out.append(4).writeInt(7);
        out.discard();
        assertThat(b.refCnt()).isZero();
        out.flush();
        assertThat((Object) ch.readOutbound()).isNull();
        ch.finishAndReleaseAll();
    }
}
