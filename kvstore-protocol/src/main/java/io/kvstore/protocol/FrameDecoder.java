package io.kvstore.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Length-field framing with validation before allocation: waits for a full header, checks magic, version and
 * body length against {@link ProtocolLimits#maxBodyBytes()}, and only then waits for the body, which it emits as
 * a retained slice (no copy) inside a {@link Frame}. A header that breaks the protocol becomes a
 * {@link DecodeError} value; after a fatal one the decoder discards everything that follows (framing is lost).
 * A connection that closes inside a frame yields a {@link ErrorCode#TRUNCATED} error.
 *
 * <p>Large frames (a PUT block of megabytes arrives in dozens of socket reads) are assembled in one buffer sized
 * for the whole frame as soon as its header is in, taken from the pooled allocator: Netty's default cumulator
 * would grow the buffer by doubling, each step a fresh zeroed direct allocation and a copy of what arrived so
 * far, which held a Python client's 2 MiB PUTs to a fifth of socket speed.
 *
 * <p>Unknown opcodes and flags are not the decoder's business: they arrive in well-formed frames and are
 * answered by the dispatcher. One instance per channel (not sharable).
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    /** Frames at least this large are assembled in a buffer sized for the whole frame. */
    static final int PRESIZE_BYTES = 64 << 10;

    private final ProtocolLimits limits;
    private boolean failed;
    /** Header + body bytes of the frame being assembled once its header is in and it is large; else 0. */
    private long pendingFrameBytes;

    public FrameDecoder(ProtocolLimits limits) {
        this.limits = limits;
        setCumulator(this::cumulate);
    }

    private ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        long frame = pendingFrameBytes;
        int required = cumulation.readableBytes() + in.readableBytes();
        boolean mustGrowOrCopy = cumulation.writerIndex() + (long) in.readableBytes() > cumulation.capacity()
                || cumulation.refCnt() > 1 || cumulation.isReadOnly();
        if (frame < PRESIZE_BYTES || !mustGrowOrCopy || !cumulation.isReadable()) {
            return MERGE_CUMULATOR.cumulate(alloc, cumulation, in);
        }
        ByteBuf sized = PooledByteBufAllocator.DEFAULT.directBuffer((int) Math.max(frame, required));
        try {
            sized.writeBytes(cumulation).writeBytes(in);
        } catch (RuntimeException e) {
            sized.release();
            throw e;
        } finally {
            cumulation.release();
            in.release();
        }
        return sized;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < FrameDescriptor.HEADER_BYTES) {
            // a wrong magic is detectable from the first two bytes: do not wait for a full header of garbage
            if (in.readableBytes() >= 2 && in.getShort(in.readerIndex()) != FrameDescriptor.MAGIC) {
                fail(in, out, new DecodeError(ErrorCode.BAD_MAGIC, 0, 0, badMagic(in)));
            }
            return;
        }
        int base = in.readerIndex();
        int opcode = in.getUnsignedByte(base + FrameDescriptor.OPCODE_OFFSET);
        long requestId = in.getLong(base + FrameDescriptor.REQUEST_ID_OFFSET);
        if (in.getShort(base + FrameDescriptor.MAGIC_OFFSET) != FrameDescriptor.MAGIC) {
            fail(in, out, new DecodeError(ErrorCode.BAD_MAGIC, 0, 0, badMagic(in)));
            return;
        }
        int version = in.getUnsignedByte(base + FrameDescriptor.VERSION_OFFSET);
        if (version != FrameDescriptor.VERSION) {
            fail(in, out, new DecodeError(ErrorCode.UNSUPPORTED_VERSION, opcode, requestId,
                    "protocol version " + version + " is not supported; supported versions: ["
                            + FrameDescriptor.VERSION + "]"));
            return;
        }
        long bodyLength = in.getUnsignedInt(base + FrameDescriptor.BODY_LENGTH_OFFSET);
        if (bodyLength > limits.maxBodyBytes()) {
            fail(in, out, new DecodeError(ErrorCode.FRAME_TOO_LARGE, opcode, requestId,
                    "body length " + bodyLength + " exceeds the maximum " + limits.maxBodyBytes()
                            + " (maxFrameBytes " + limits.maxFrameBytes() + ")"));
            return;
        }
        if (in.readableBytes() < FrameDescriptor.HEADER_BYTES + bodyLength) {
            pendingFrameBytes = FrameDescriptor.HEADER_BYTES + bodyLength;
            return;
        }
        pendingFrameBytes = 0;
        int flags = in.getUnsignedByte(base + FrameDescriptor.FLAGS_OFFSET);
        int status = in.getUnsignedByte(base + FrameDescriptor.STATUS_OFFSET);
        in.skipBytes(FrameDescriptor.HEADER_BYTES);
        ByteBuf body = in.readRetainedSlice((int) bodyLength);
        out.add(new Frame(version, opcode, flags, status, requestId, body));
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        decode(ctx, in, out);
        if (!failed && in.isReadable()) {
            int n = in.readableBytes();
            in.skipBytes(n);
            out.add(new DecodeError(ErrorCode.TRUNCATED, 0, 0, "connection closed inside a frame, " + n
                    + " bytes of it received"));
        }
    }

    private void fail(ByteBuf in, List<Object> out, DecodeError error) {
        failed = true;
        in.skipBytes(in.readableBytes());
        out.add(error);
    }

    private static String badMagic(ByteBuf in) {
        return String.format("frame starts with 0x%04x, expected magic 0x%04x", in.getUnsignedShort(in.readerIndex()),
                FrameDescriptor.MAGIC);
    }
}
