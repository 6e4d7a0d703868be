package io.kvstore.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.ArrayDeque;
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
 * <p>With {@link PayloadTargets} (the server's), a large frame whose payload the targets take is not assembled:
 * once its header and head bytes (a PUT's block header) are in, the decoder stops reading until the targets hand it
 * the memory the payload will live in (a store reservation, made off the event loop), then the payload's bytes go
 * there: those already received are copied, and the socket reads the rest straight into it when the channel uses
 * {@link PayloadReadAllocator} with {@link #readTarget}. The frame then reaches the next handler as a {@link
 * PayloadFrame}. A connection that closes inside such a payload releases the buffer (the targets' owner undoes
 * what it reserved) and yields TRUNCATED like any other.
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

    private final PayloadTargets targets;
    /** Bytes received while a payload target is awaited or filled, in order; they go to the target first. */
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private boolean awaiting;
    /** Which target request {@link #targetReady} answers; a late answer to an abandoned one is released. */
    private int awaited;
    private int awaitedPayloadBytes;
    /** The channel closed: what arrived before is still decoded, without waiting for targets. */
    private boolean closing;
    private boolean gone;
    /** The frame whose payload goes to {@link #target}: its header fields and head bytes. */
    private int version;
    private int opcode;
    private int flags;
    private int status;
    private long requestId;
    private ByteBuf head;
    private ByteBuf target;
    private int remaining;
    private ByteBuf handedOut;
    /**
     * {@link System#nanoTime()} when the payload going to {@link #target} last made progress, while one is in
     * progress; else 0. Read by other threads ({@link #payloadStalledNanos}).
     */
    private volatile long payloadProgressNanos;

    public FrameDecoder(ProtocolLimits limits) {
        this(limits, null);
    }

    /** @param targets where large frames' payloads may go (null: every frame is assembled here) */
    public FrameDecoder(ProtocolLimits limits, PayloadTargets targets) {
        this.limits = limits;
        this.targets = targets;
        setCumulator(this::cumulate);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg == handedOut && msg != null) { // read in place: the bytes are already in the target
            handedOut = null;
            ByteBuf in = (ByteBuf) msg;
            int n = in.readableBytes();
            in.release();
            target.writerIndex(target.writerIndex() + n);
            arrived(ctx, n);
            return;
        }
        if (msg instanceof ByteBuf in && (awaiting || target != null || !held.isEmpty())) {
            held.addLast(in);
            if (awaiting) {
                ctx.channel().config().setAutoRead(false); // whoever turned it on: hold no more than this read
            } else {
                drain(ctx);
            }
            return;
        }
        super.channelRead(ctx, msg);
    }

    /**
     * The buffer the next socket read should fill: a slice of the rest of the payload going to a target, or null
     * (then any read buffer will do). Event loop only; the slice comes back through {@link #channelRead}.
     */
    public ByteBuf readTarget() {
        if (target == null || awaiting || remaining == 0 || !held.isEmpty() || gone) {
            return null;
        }
        handedOut = target.retainedSlice(target.writerIndex(), remaining).clear();
        return handedOut;
    }

    /** Feeds held bytes to the target, then to the frame decoder, until they are gone or a target is awaited. */
    private void drain(ChannelHandlerContext ctx) throws Exception {
        while (!awaiting && !gone && !held.isEmpty()) {
            ByteBuf b = held.peekFirst();
            if (target != null) {
                int n = Math.min(remaining, b.readableBytes());
                target.writeBytes(b, n);
                if (!b.isReadable()) {
                    held.pollFirst().release();
                }
                arrived(ctx, n);
            } else {
                super.channelRead(ctx, held.pollFirst()); // may start the next payload (and hold what follows)
            }
        }
    }

    /**
     * How long the payload being received into a target has made no progress at {@code now} ({@link
     * System#nanoTime()}), or 0 when none is in progress. Any thread: a watchdog closes connections that stall
     * inside a payload, since the target (a store reservation) holds memory and a claimed key meanwhile.
     */
    public long payloadStalledNanos(long now) {
        long t = payloadProgressNanos;
        return t == 0 ? 0 : Math.max(0, now - t);
    }

    /** {@code n} more payload bytes are in the target; the frame goes out when it is complete. */
    private void arrived(ChannelHandlerContext ctx, int n) {
        remaining -= n;
        payloadProgressNanos = remaining == 0 ? 0 : System.nanoTime() | 1;
        if (target instanceof PayloadTargets.Filling f) {
            f.filled(target.writerIndex());
        }
        if (remaining == 0) {
            ByteBuf payload = target;
            ByteBuf body = Unpooled.wrappedBuffer(head, payload);
            head = null;
            target = null;
            ctx.fireChannelRead(new PayloadFrame(version, opcode, flags, status, requestId, body, payload));
            ctx.fireChannelReadComplete();
        }
    }

    /**
     * Takes the frame at the start of {@code in} (header in, body large, head bytes in) for a payload target: its
     * header and head leave {@code in}, and so does everything after them (held until the target is there).
     */
    private void takeForTarget(ChannelHandlerContext ctx, ByteBuf in, int headBytes, int payloadBytes) {
        int base = in.readerIndex();
        version = in.getUnsignedByte(base + FrameDescriptor.VERSION_OFFSET);
        opcode = in.getUnsignedByte(base + FrameDescriptor.OPCODE_OFFSET);
        flags = in.getUnsignedByte(base + FrameDescriptor.FLAGS_OFFSET);
        status = in.getUnsignedByte(base + FrameDescriptor.STATUS_OFFSET);
        requestId = in.getLong(base + FrameDescriptor.REQUEST_ID_OFFSET);
        in.skipBytes(FrameDescriptor.HEADER_BYTES);
        head = Unpooled.buffer(headBytes, headBytes).writeBytes(in, headBytes);
        if (in.isReadable()) {
            held.addFirst(in.readRetainedSlice(in.readableBytes()));
        }
        pendingFrameBytes = 0;
        awaiting = true;
        awaitedPayloadBytes = payloadBytes;
        int request = ++awaited;
        ctx.channel().config().setAutoRead(false);
        targets.open(ctx, opcode, flags, head.duplicate(), payloadBytes, buf -> {
            try {
                ctx.executor().execute(() -> targetReady(ctx, buf, request));
            } catch (RuntimeException shutDown) {
                if (buf != null) {
                    buf.release();
                }
            }
        });
    }

    /** The targets answered: gather the payload in {@code buf} (or, if null, a pooled buffer). Event loop. */
    private void targetReady(ChannelHandlerContext ctx, ByteBuf buf, int request) {
        if (!awaiting || request != awaited || closing || gone) { // abandoned at a close
            if (buf != null) {
                buf.release();
            }
            return;
        }
        awaiting = false;
        gatherIn(buf);
        ctx.channel().config().setAutoRead(true);
        try {
            drain(ctx);
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
        }
    }

    private void gatherIn(ByteBuf buf) {
        int n = awaitedPayloadBytes;
        target = buf != null ? buf : PooledByteBufAllocator.DEFAULT.directBuffer(n, n);
        remaining = n;
        payloadProgressNanos = System.nanoTime() | 1;
    }

    /**
     * The frames that arrived whole before the close are still decoded and passed on (a client that disconnects
     * mid-PUT keeps the blocks it sent whole): a target still awaited is given up for a pooled buffer, and what was
     * held goes through at once.
     */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closing = true;
        if (awaiting) {
            awaiting = false;
            gatherIn(null);
        }
        drain(ctx);
        boolean inside = target != null;
        long received = target == null ? 0 : target.writerIndex();
        releasePayload();
        if (inside) {
            ctx.fireChannelRead(new DecodeError(ErrorCode.TRUNCATED, 0, 0, "connection closed inside a frame's "
                    + "payload, " + received + " bytes of it received"));
        }
        super.channelInactive(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        releasePayload();
    }

    /** Drops a payload in progress and the bytes held for it; the target's owner undoes what it set aside. */
    private void releasePayload() {
        gone = true;
        payloadProgressNanos = 0;
        for (ByteBuf b; (b = held.pollFirst()) != null; ) {
            b.release();
        }
        if (head != null) {
            head.release();
            head = null;
        }
        if (target != null) {
            target.release();
            target = null;
        }
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
        int base = in.readerIndex();
        DecodeError bad = in.readableBytes() < FrameDescriptor.HEADER_BYTES ? FrameHeader.checkMagic(in, base)
                : FrameHeader.check(in, base, limits);
        if (bad != null) {
            fail(in, out, bad);
            return;
        }
        if (in.readableBytes() < FrameDescriptor.HEADER_BYTES) {
            return;
        }
        int opcode = in.getUnsignedByte(base + FrameDescriptor.OPCODE_OFFSET);
        long requestId = in.getLong(base + FrameDescriptor.REQUEST_ID_OFFSET);
        int version = in.getUnsignedByte(base + FrameDescriptor.VERSION_OFFSET);
        long bodyLength = in.getUnsignedInt(base + FrameDescriptor.BODY_LENGTH_OFFSET);
        if (in.readableBytes() < FrameDescriptor.HEADER_BYTES + bodyLength) {
            int headBytes = targets == null || closing || gone || bodyLength < PRESIZE_BYTES ? 0
                    : targets.headBytes(opcode, in.getUnsignedByte(base + FrameDescriptor.FLAGS_OFFSET));
            if (headBytes > 0 && headBytes < bodyLength) {
                if (in.readableBytes() >= FrameDescriptor.HEADER_BYTES + headBytes) {
                    takeForTarget(ctx, in, headBytes, (int) (bodyLength - headBytes));
                }
                return; // the head is small: wait for it in the cumulation
            }
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
}
