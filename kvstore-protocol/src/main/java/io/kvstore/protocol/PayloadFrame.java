package io.kvstore.protocol;

import io.netty.buffer.ByteBuf;

/**
 * A frame whose payload was received into a buffer from {@link PayloadTargets}: the body is that buffer behind the
 * frame's head bytes (one composite buffer, read like any body), and {@link #payload()} names the buffer itself, so
 * that the handler can tell memory it was given from a copy. Ownership as for every {@link Frame}.
 */
public final class PayloadFrame extends Frame {

    private final ByteBuf payload;

    PayloadFrame(int version, int opcode, int flags, int status, long requestId, ByteBuf body, ByteBuf payload) {
        super(version, opcode, flags, status, requestId, body);
        this.payload = payload;
    }

    /** The payload's buffer as {@link PayloadTargets#open} gave it (or the decoder's own); owned by the body. */
    public ByteBuf payload() {
        return payload;
    }
}
