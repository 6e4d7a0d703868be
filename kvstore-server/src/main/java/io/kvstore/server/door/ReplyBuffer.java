package io.kvstore.server.door;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;

import java.nio.charset.StandardCharsets;

/**
 * Where a door connection's replies are written: small replies are appended to one shared buffer, so that the
 * replies to a batch of pipelined requests (sixteen 4 KiB GETs of {@code redis-benchmark -P 16}) leave as one
 * buffer in one write and one flush, instead of a buffer, an outbound-buffer entry and a pass through the pipeline
 * each. Large payloads are written as their own buffers ({@link #write}, zero-copy), after the bytes appended before
 * them. Event-loop confined; one per connection.
 */
public final class ReplyBuffer {

    /** The size of each append buffer (a batch's small replies usually fit in one). */
    static final int CHUNK = 64 << 10;

    private final ChannelHandlerContext ctx;
    private ByteBuf pending;

    public ReplyBuffer(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** A buffer with room for at least {@code bytes} more bytes, to append reply bytes to (without flushing). */
    public ByteBuf append(int bytes) {
        if (pending != null && pending.writableBytes() < bytes) {
            pass();
        }
        if (pending == null) {
            pending = ctx.alloc().ioBuffer(Math.max(bytes, CHUNK));
        }
        return pending;
    }

    /** Appends the decimal digits of {@code v}. */
    public static ByteBuf writeDecimal(ByteBuf b, long v) {
        if (v >= 0 && v < 10) {
            return b.writeByte('0' + (int) v);
        }
        b.writeCharSequence(Long.toString(v), StandardCharsets.US_ASCII);
        return b;
    }

    /**
     * Writes {@code msg} (a buffer, or a message for the encoders before this handler) after what was appended so
     * far; not flushed.
     */
    public ChannelFuture write(Object msg) {
        pass();
        return ctx.write(msg);
    }

    /** Writes what was appended and flushes. */
    void flush() {
        pass();
        ctx.flush();
    }

    /** Drops what was appended (the connection is closing). */
    void discard() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    private void pass() {
        if (pending != null) {
            ByteBuf b = pending;
            pending = null;
            if (b.isReadable()) {
                ctx.write(b, ctx.voidPromise());
            } else {
                b.release();
            }
        }
    }
}
