package io.kvstore.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

import java.util.function.Consumer;

/**
 * Where the {@link FrameDecoder} may put a large frame's payload instead of assembling the frame in a buffer of its
 * own: the server hands it memory the value will live in (a store reservation), so the socket reads land there.
 * A frame it takes reaches the next handler as a {@link PayloadFrame}.
 *
 * <p>Protocol: for a frame whose body is at least {@link FrameDecoder#PRESIZE_BYTES}, the decoder asks {@link
 * #headBytes}; if that is above 0 (and below the body length), it waits for that many body bytes, then calls {@link
 * #open} and stops reading until {@code done} is called. All calls are on the channel's event loop.
 */
public interface PayloadTargets {

    /**
     * How many body bytes come before the payload of a frame with this opcode and these flags (a PUT's block
     * header), or 0 if the frame is assembled as usual.
     */
    int headBytes(int opcode, int flags);

    /**
     * The frame's head is in ({@code head}: the first {@link #headBytes} body bytes; read it, do not keep it).
     * Call {@code done}, from any thread, exactly once: with a buffer of exactly {@code payloadBytes} writable bytes
     * (ownership passes to the decoder; if it implements {@link Filling} it is told how far it is filled), or with
     * null to let the decoder gather the payload in a pooled buffer.
     */
    void open(ChannelHandlerContext ctx, int opcode, int flags, ByteBuf head, int payloadBytes, Consumer<ByteBuf> done);

    /** A payload buffer that wants to know, read by read, how many of its bytes are written (to checksum them). */
    interface Filling {
        /** The first {@code bytes} bytes are written. */
        void filled(int bytes);
    }
}
