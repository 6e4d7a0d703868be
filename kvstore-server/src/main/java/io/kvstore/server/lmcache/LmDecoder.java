package io.kvstore.server.lmcache;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;

/**
 * Cuts the byte stream of an {@code lm://} connection into {@link LmRequest}s ({@link LmDescriptor} has the
 * layout). The header is checked before a byte of a PUT's payload is buffered: an unknown command or a negative or
 * oversized length becomes a protocol-error request (queued behind the requests before it) and nothing after it is
 * read. A PUT's payload is gathered into one buffer behind its 28-byte metadata prefix, so the value reaches the
 * store contiguous (with {@link PayloadReadAllocator} the socket reads land there directly); a client that vanishes
 * mid-payload loses only that PUT. A value of up to {@value #PREALLOCATE_LIMIT} bytes gets a buffer of its full size
 * at once, from {@link ValueBuffers} (reused, never zeroed, never grown and copied); a larger one grows as its bytes
 * arrive, so that a header alone cannot make the daemon allocate {@code maxFrameBytes}.
 */
final class LmDecoder extends ChannelInboundHandlerAdapter {

    /** A value (prefix and payload) larger than this is gathered in a buffer that grows as its bytes arrive. */
    static final int PREALLOCATE_LIMIT = 16 << 20;

    private final int maxValueBytes;
    private final ValueBuffers buffers;
    private ByteBuf header;
    private ByteBuf value;
    private ByteBuf handedOut;
    private String key;
    private int remaining;
    private boolean failed;

    /**
     * @param maxValueBytes the largest PUT payload accepted (maxFrameBytes)
     * @param buffers       where values of up to {@value #PREALLOCATE_LIMIT} bytes are gathered
     */
    LmDecoder(int maxValueBytes, ValueBuffers buffers) {
        this.maxValueBytes = maxValueBytes;
        this.buffers = buffers;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        header = ctx.alloc().heapBuffer(LmDescriptor.REQUEST_BYTES, LmDescriptor.REQUEST_BYTES);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (in == handedOut) { // read in place: the bytes are already in the value's buffer
            handedOut = null;
            int n = in.readableBytes();
            in.release();
            value.writerIndex(value.writerIndex() + n);
            remaining -= n;
            if (remaining == 0) {
                emitPut(ctx);
            }
            return;
        }
        try {
            while (in.isReadable() && !failed) {
                if (value == null) {
                    header.writeBytes(in, Math.min(in.readableBytes(), header.writableBytes()));
                    if (!header.isWritable()) {
                        onHeader(ctx);
                        header.clear();
                    }
                } else {
                    int n = Math.min(remaining, in.readableBytes());
                    value.writeBytes(in, n);
                    remaining -= n;
                    if (remaining == 0) {
                        emitPut(ctx);
                    }
                }
            }
        } finally {
            ReferenceCountUtil.release(in);
        }
    }

    /**
     * The buffer the next socket read should fill: a slice of the rest of the PUT payload being gathered (at most
     * {@value #PREALLOCATE_LIMIT} bytes), or null when no payload is in progress (then any read buffer will do).
     * Event loop only; the slice comes back through {@link #channelRead}.
     */
    ByteBuf readTarget() {
        if (value == null || remaining == 0 || failed) {
            return null;
        }
        int n = Math.min(remaining, PREALLOCATE_LIMIT);
        value.ensureWritable(n);
        handedOut = value.retainedSlice(value.writerIndex(), n).clear();
        return handedOut;
    }

    private void onHeader(ChannelHandlerContext ctx) {
        int command = header.getIntLE(0);
        int length = header.getIntLE(4);
        if (command < LmDescriptor.PUT || command > LmDescriptor.HEALTH) {
            fail(ctx, "unknown command " + command + " (expected 1 PUT, 2 GET, 3 EXIST, 4 LIST or 5 HEALTH)");
            return;
        }
        key = header.toString(LmDescriptor.KEY_OFFSET, LmDescriptor.KEY_BYTES, StandardCharsets.UTF_8).strip();
        int end = key.indexOf('\0');
        if (end >= 0) {
            key = key.substring(0, end).strip();
        }
        if (command != LmDescriptor.PUT) {
            ctx.fireChannelRead(new LmRequest(command, key, null, null));
            return;
        }
        if (length < 0 || length > maxValueBytes) {
            fail(ctx, "PUT of key '" + key + "' declares " + length + " payload bytes; the limit is " + maxValueBytes
                    + " (maxFrameBytes)");
            return;
        }
        int total = LmDescriptor.STORED_PREFIX_BYTES + length;
        value = total <= PREALLOCATE_LIMIT ? buffers.take(total) : ctx.alloc().directBuffer(PREALLOCATE_LIMIT, total);
        value.writeIntLE(length);
        value.writeBytes(header, 8, 8); // fmt, dtype
        value.writeBytes(header, 20, 16); // shape0..3
        remaining = length;
        if (remaining == 0) {
            emitPut(ctx);
        }
    }

    private void emitPut(ChannelHandlerContext ctx) {
        ByteBuf v = value;
        value = null;
        ctx.fireChannelRead(new LmRequest(LmDescriptor.PUT, key, v, null));
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        failed = true;
        ctx.channel().config().setAutoRead(false);
        ctx.fireChannelRead(LmRequest.error(why));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        if (value != null) {
            value.release(); // a client that vanished mid-payload
            value = null;
        }
        if (header != null) {
            header.release();
            header = null;
        }
    }
}
