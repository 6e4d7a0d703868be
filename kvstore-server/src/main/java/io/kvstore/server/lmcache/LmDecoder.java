package io.kvstore.server.lmcache;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.PutReservation;
import io.kvstore.server.door.NamedValues;
import io.kvstore.server.door.ReservedBuf;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Cuts the byte stream of an {@code lm://} connection into {@link LmRequest}s ({@link LmDescriptor} has the
 * layout). The header is checked before a byte of a PUT's payload is buffered: an unknown command or a negative or
 * oversized length becomes a protocol-error request (queued behind the requests before it) and nothing after it is
 * read. A PUT's value (a 28-byte metadata prefix, then the payload) is gathered in one buffer, so it reaches the
 * store contiguous (with {@link io.kvstore.protocol.PayloadReadAllocator} the socket reads land there directly); a
 * client that vanishes mid-payload loses only that PUT.
 *
 * <p>Where the value is gathered: for a new name (a directory look-up on the event loop, as EXIST does) with a value
 * of up to {@value #PREALLOCATE_LIMIT} bytes, in the memory the store reserves for it ({@link NamedValues#reserve},
 * a run of the top tier's arena), so the kernel copies the payload into the tier and nothing copies it again; the
 * CRC32C is computed read by read while the bytes are cache-hot. The reservation is made right here when it needs
 * no wait ({@link NamedValues#tryReserve}: room at once, or victims handed to the demotion threads); otherwise, since
 * reserving may then move other blocks down, on the doors' blocking pool while this connection stops reading (bytes
 * already received wait in {@code held}).
 * A name that holds or is getting a value, a refusal (quota, no room) or a full pool gets a buffer from {@link
 * ValueBuffers} instead (reused, never zeroed), and the PUT is stored by {@link NamedValues#put} in order, as
 * before; so is a larger value, in a buffer that grows as its bytes arrive, so that a header alone cannot make the
 * daemon allocate {@code maxFrameBytes}.
 */
final class LmDecoder extends ChannelInboundHandlerAdapter {

    /** A value (prefix and payload) larger than this is gathered in a buffer that grows as its bytes arrive. */
    static final int PREALLOCATE_LIMIT = 16 << 20;

    private final int maxValueBytes;
    private final ValueBuffers buffers;
    private final NamedValues values;
    private final NamedValues.Space space;
    private final Executor blocking;
    private final byte[] prefix = new byte[LmDescriptor.STORED_PREFIX_BYTES];
    /** Bytes received while a reservation is being made; consumed, in order, once it is. */
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private ByteBuf header;
    private ByteBuf value;
    private ByteBuf handedOut;
    private String key;
    private int remaining;
    private boolean failed;
    private boolean awaiting;
    private boolean gone;

    /**
     * @param maxValueBytes the largest PUT payload accepted (maxFrameBytes)
     * @param buffers       where values that are not received in place are gathered
     * @param values        the store's named values, for reservations (null: never in place)
     * @param space         the door's space of names
     * @param blocking      where reservations are made
     */
    LmDecoder(int maxValueBytes, ValueBuffers buffers, NamedValues values, NamedValues.Space space,
              Executor blocking) {
        this.maxValueBytes = maxValueBytes;
        this.buffers = buffers;
        this.values = values;
        this.space = space;
        this.blocking = blocking;
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
            arrived(ctx, n);
            return;
        }
        held.addLast(in);
        drain(ctx);
    }

    /** Consumes held bytes until they are gone, a reservation is awaited or the stream failed. */
    private void drain(ChannelHandlerContext ctx) {
        while (!held.isEmpty() && !awaiting && !failed) {
            ByteBuf in = held.peekFirst();
            while (in.isReadable() && !awaiting && !failed) {
                if (value == null) {
                    header.writeBytes(in, Math.min(in.readableBytes(), header.writableBytes()));
                    if (!header.isWritable()) {
                        onHeader(ctx);
                        header.clear();
                    }
                } else {
                    int n = Math.min(remaining, in.readableBytes());
                    value.writeBytes(in, n);
                    arrived(ctx, n);
                }
            }
            if (!in.isReadable()) {
                held.pollFirst().release();
            }
        }
        if (failed) {
            releaseHeld();
        }
    }

    /** {@code n} more payload bytes are in the value's buffer. */
    private void arrived(ChannelHandlerContext ctx, int n) {
        remaining -= n;
        if (value instanceof ReservedBuf v) {
            v.filled(value.writerIndex()); // CRC32C of the new bytes while they are in the cache
        }
        if (remaining == 0) {
            emitPut(ctx);
        }
    }

    /**
     * The buffer the next socket read should fill: a slice of the rest of the PUT payload being gathered (at most
     * {@value #PREALLOCATE_LIMIT} bytes), or null when no payload is in progress (then any read buffer will do).
     * Event loop only; the slice comes back through {@link #channelRead}.
     */
    ByteBuf readTarget() {
        if (value == null || remaining == 0 || failed || awaiting || !held.isEmpty()) {
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
        ByteBuffer p = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
        p.putInt(length);
        header.getBytes(8, prefix, 4, 8); // fmt, dtype
        header.getBytes(20, prefix, 12, 16); // shape0..3
        remaining = length;
        int total = LmDescriptor.STORED_PREFIX_BYTES + length;
        BlockKey k = values == null ? null : NamedValues.key(space, NamedValues.name(key));
        if (values == null || total > PREALLOCATE_LIMIT
                || !values.store().hasSharedTier() && values.exists(space, k)) { // a replacement: put in order
            gather(ctx, null, total);
            return;
        }
        NamedValues.Reserved now = values.store().hasSharedTier() ? null // its look-up is network I/O
                : values.tryReserve(space, k, total); // here, on the event loop, if it needs no wait
        if (now != null) {
            gather(ctx, direct(now.reservation()), total);
            return;
        }
        awaiting = true;
        ctx.channel().config().setAutoRead(false);
        try {
            blocking.execute(() -> {
                PutReservation r = null;
                try {
                    r = values.reserve(space, k, total);
                } finally {
                    PutReservation got = r;
                    try {
                        ctx.executor().execute(() -> reserved(ctx, got, total));
                    } catch (RejectedExecutionException shutDown) {
                        if (got != null) {
                            values.abort(space, got);
                        }
                    }
                }
            });
        } catch (RejectedExecutionException full) { // gather it in a buffer of the door's, right here
            awaiting = false;
            ctx.channel().config().setAutoRead(true);
            gather(ctx, null, total);
        }
    }

    /** The reservation came back (or null: gather the value in a buffer of its own). Event loop. */
    private void reserved(ChannelHandlerContext ctx, PutReservation r, int total) {
        awaiting = false;
        if (gone) {
            if (r != null) {
                values.abort(space, r);
            }
            return;
        }
        gather(ctx, direct(r), total);
        ctx.channel().config().setAutoRead(true);
        drain(ctx);
    }

    /** {@code r} if its memory is direct, else null (aborted): a heap tier (tests) is not worth a second kind of buffer. */
    private PutReservation direct(PutReservation r) {
        if (r != null && !r.buffer().isDirect()) {
            values.abort(space, r);
            return null;
        }
        return r;
    }

    /** Starts gathering a value of {@code total} bytes: in {@code r}'s memory, or in a buffer of the door's. */
    private void gather(ChannelHandlerContext ctx, PutReservation r, int total) {
        if (r != null) {
            value = new ReservedBuf(r, 0, open -> values.abort(space, open));
        } else {
            value = total <= PREALLOCATE_LIMIT ? buffers.take(total)
                    : ctx.alloc().directBuffer(PREALLOCATE_LIMIT, total);
        }
        value.writeBytes(prefix);
        if (value instanceof ReservedBuf v) {
            v.filled(prefix.length);
        }
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
        gone = true;
        if (value != null) {
            value.release(); // a client that vanished mid-payload (a reservation is aborted)
            value = null;
        }
        releaseHeld();
        if (header != null) {
            header.release();
            header = null;
        }
    }

    private void releaseHeld() {
        for (ByteBuf b; (b = held.pollFirst()) != null; ) {
            b.release();
        }
    }
}
