package io.kvstore.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The one check of a received frame header ({@link FrameDescriptor}): magic, version and body length against the
 * receiver's {@link ProtocolLimits}, before anything is allocated for the body. The server's and the client's
 * {@link FrameDecoder} and the client's blocking call channel all read headers through it.
 */
public final class FrameHeader {

    private FrameHeader() {
    }

    /**
     * Checks the {@link FrameDescriptor#HEADER_BYTES} bytes at {@code base} of {@code in} (not moved). Returns null
     * if the header is well-formed and its body fits {@code limits}, else the error to report (its code says
     * what was wrong; each of these is fatal: framing is lost).
     */
    public static DecodeError check(ByteBuf in, int base, ProtocolLimits limits) {
        if (in.getShort(base + FrameDescriptor.MAGIC_OFFSET) != FrameDescriptor.MAGIC) {
            return badMagic(in, base);
        }
        int opcode = in.getUnsignedByte(base + FrameDescriptor.OPCODE_OFFSET);
        long requestId = in.getLong(base + FrameDescriptor.REQUEST_ID_OFFSET);
        int version = in.getUnsignedByte(base + FrameDescriptor.VERSION_OFFSET);
        if (version != FrameDescriptor.VERSION) {
            return new DecodeError(ErrorCode.UNSUPPORTED_VERSION, opcode, requestId,
                    "protocol version " + version + " is not supported; supported versions: ["
                            + FrameDescriptor.VERSION + "]");
        }
        long bodyLength = in.getUnsignedInt(base + FrameDescriptor.BODY_LENGTH_OFFSET);
        if (bodyLength > limits.maxBodyBytes()) {
            return new DecodeError(ErrorCode.FRAME_TOO_LARGE, opcode, requestId,
                    "body length " + bodyLength + " exceeds the maximum " + limits.maxBodyBytes()
                            + " (maxFrameBytes " + limits.maxFrameBytes() + ")");
        }
        return null;
    }

    /**
     * A wrong magic is detectable from the first two bytes: the error for them, or null if they are right (or
     * fewer than two bytes are in), so that a receiver need not wait for a full header of garbage.
     */
    public static DecodeError checkMagic(ByteBuf in, int base) {
        if (in.writerIndex() - base < 2 || in.getShort(base + FrameDescriptor.MAGIC_OFFSET) == FrameDescriptor.MAGIC) {
            return null;
        }
        return badMagic(in, base);
    }

    private static DecodeError badMagic(ByteBuf in, int base) {
        return new DecodeError(ErrorCode.BAD_MAGIC, 0, 0, String.format(
                "frame starts with 0x%04x, expected magic 0x%04x", in.getUnsignedShort(base), FrameDescriptor.MAGIC));
    }
}
