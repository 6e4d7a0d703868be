package io.kvstore.protocol;

import io.netty.buffer.ByteBuf;
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
 * <p>Unknown opcodes and flags are not the decoder's business: they arrive in well-formed frames and are
 * answered by the dispatcher. One instance per channel (not sharable).
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private final ProtocolLimits limits;
    private boolean failed;

    public FrameDecoder(ProtocolLimits limits) {
        this.limits = limits;
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
            return;
        }
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
