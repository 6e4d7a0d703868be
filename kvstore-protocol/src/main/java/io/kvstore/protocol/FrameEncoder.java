package io.kvstore.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import java.util.List;

/**
 * Writes a {@link Frame} as a 20-byte header buffer followed by the body buffer itself, so a body is never
 * copied (a wrapped off-heap payload goes to the socket as it is). Stateless and sharable.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToMessageEncoder<Frame> {

    /** The shared instance. */
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder() {
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame f, List<Object> out) {
        out.add(header(ctx.alloc(), f.version(), f.opcodeCode(), f.flags(), f.statusCode(), f.requestId(),
                f.body().readableBytes()));
        out.add(f.body().retain());
    }

    /** A header buffer for a frame whose body of {@code bodyLength} bytes is written separately. */
    public static ByteBuf header(ByteBufAllocator alloc, int version, int opcode, int flags, int status,
                                 long requestId, long bodyLength) {
        ByteBuf h = alloc.ioBuffer(FrameDescriptor.HEADER_BYTES);
        writeHeader(h, version, opcode, flags, status, requestId, bodyLength);
        return h;
    }

    /** Writes the 20 header bytes at the writer index. */
    public static void writeHeader(ByteBuf h, int version, int opcode, int flags, int status, long requestId,
                                   long bodyLength) {
        h.writeShort(FrameDescriptor.MAGIC)
                .writeByte(version)
                .writeByte(opcode)
                .writeByte(flags)
                .writeByte(status)
                .writeShort(0)
                .writeLong(requestId)
                .writeInt((int) bodyLength);
    }
}
