package io.kvstore.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;

/**
 * One decoded (or to-be-encoded) frame: the header fields and the body.
 *
 * <p>Ownership: a frame holds one reference to its body ({@link io.netty.buffer.ByteBufHolder}); whoever
 * receives a frame releases it once. The {@link FrameEncoder} releases frames it writes. Not thread-safe.
 */
public class Frame extends DefaultByteBufHolder {

    private final int version;
    private final int opcode;
    private final int flags;
    private final int status;
    private final long requestId;

    public Frame(int version, int opcode, int flags, int status, long requestId, ByteBuf body) {
        super(body);
        this.version = version;
        this.opcode = opcode;
        this.flags = flags;
        this.status = status;
        this.requestId = requestId;
    }

    /** A request frame of this protocol version. */
    public static Frame request(Opcode op, int flags, long requestId, ByteBuf body) {
        return new Frame(FrameDescriptor.VERSION, op.code(), flags, 0, requestId, body);
    }

    /** A response frame with status OK. */
    public static Frame response(Opcode op, int flags, long requestId, ByteBuf body) {
        return new Frame(FrameDescriptor.VERSION, op.code(), flags, ErrorCode.OK.code(), requestId, body);
    }

    /** An error response: status {@code code}, body the message. */
    public static Frame error(int opcode, long requestId, ErrorCode code, String message) {
        ByteBuf body = Unpooled.buffer(64);
        Wire.writeString(body, message == null ? "" : message);
        return new Frame(FrameDescriptor.VERSION, opcode, FrameDescriptor.FLAG_END, code.code(), requestId, body);
    }

    public int version() {
        return version;
    }

    /** The raw opcode byte. */
    public int opcodeCode() {
        return opcode;
    }

    /** The opcode, or null if this version does not define the byte. */
    public Opcode opcode() {
        return Opcode.of(opcode);
    }

    public int flags() {
        return flags;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    /** The raw status byte. */
    public int statusCode() {
        return status;
    }

    public ErrorCode status() {
        return ErrorCode.of(status);
    }

    public long requestId() {
        return requestId;
    }

    /** The body (same as {@link #content()}). */
    public ByteBuf body() {
        return content();
    }

    /** The error message of an error response (reads the body without consuming it). */
    public String errorMessage() {
        ByteBuf b = content().duplicate();
        try {
            return Wire.readString(b, 65535, "message");
        } catch (ProtocolException e) {
            return "(unreadable error message)";
        }
    }

    @Override
    public Frame replace(ByteBuf content) {
        return new Frame(version, opcode, flags, status, requestId, content);
    }

    @Override
    public String toString() {
        Opcode op = opcode();
        return "Frame{" + (op == null ? "opcode=0x" + Integer.toHexString(opcode) : op) + ", flags=0x"
                + Integer.toHexString(flags) + ", status=" + ErrorCode.of(status) + ", id=" + requestId + ", body="
                + content().readableBytes() + "B}";
    }
}
