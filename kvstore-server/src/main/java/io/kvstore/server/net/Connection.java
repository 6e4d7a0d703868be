package io.kvstore.server.net;

import io.kvstore.protocol.DecodeError;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.Frame;
import io.kvstore.protocol.FrameDecoder;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.Wire;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: queues decoded frames and runs them one at a time, in arrival order, through the
 * handler of their opcode (pipelining without reordering). While the queue holds more than
 * {@code maxPipelinedRequests} frames or {@code maxInFlightBytesPerConnection} bytes, the connection stops
 * reading, so TCP pushes back on the client; a GET stream that finds the channel unwritable parks here until
 * it is writable again. Event-loop confined.
 */
final class Connection extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    /** A request current for longer than this is logged once, with what the connection is waiting for. */
    static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(10);

    final ServerContext sc;
    final Session session = new Session();
    final Map<Long, PutHandler.PutState> puts = new HashMap<>();
    ChannelHandlerContext ctx;
    private final EnumMap<Opcode, OpHandler> handlers;
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private long queuedBytes;
    /** The request running now; volatile for the watchdog thread ({@link #checkStuck}). */
    private volatile Request current;
    private Runnable onWritable;
    private boolean closed;
    /** The request the watchdog last reported, so that a stuck request is logged once. */
    private volatile Request reported;

    Connection(ServerContext sc, EnumMap<Opcode, OpHandler> handlers) {
        this.sc = sc;
        this.handlers = handlers;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        sc.metrics().connectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof Frame f) {
            queuedBytes += f.body().readableBytes();
        } else if (!(msg instanceof DecodeError)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        queue.add(msg);
        sc.lifecycle().begin();
        if (queue.size() >= sc.config().maxPipelinedRequests()
                || queuedBytes >= sc.config().maxInFlightBytesPerConnection()) {
            ctx.channel().config().setAutoRead(false);
        }
        runNext();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && onWritable != null) {
            Runnable r = onWritable;
            onWritable = null;
            r.run();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Runs {@code r} once the channel is writable again (or at once if the channel closes meanwhile). */
    void whenWritable(Runnable r) {
        if (!ctx.channel().isActive() || ctx.channel().isWritable()) {
            ctx.executor().execute(r);
        } else {
            onWritable = r;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        if (onWritable != null) {
            Runnable r = onWritable;
            onWritable = null;
            r.run(); // lets a parked stream see the closed channel and finish
        }
        // whole PUT frames that arrived before the close are still stored (a client that vanishes mid-request
        // keeps every block it sent whole, even those queued behind a slow one); anything else is dropped
        queue.removeIf(m -> {
            if (m instanceof Frame f && f.opcode() == Opcode.PUT) {
                return false;
            }
            ReferenceCountUtil.release(m);
            sc.lifecycle().end();
            return true;
        });
        runNext();
        if (sc.shm() != null) {
            sc.shm().releaseAll(this); // a client that died or left keeps no memory pinned
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        sc.metrics().protocolError("IO");
        ctx.close();
    }

    /**
     * The watchdog's check, from its own thread ({@link NetServer}): a request current for {@link #STUCK_NANOS} is
     * logged once, with its state, by the connection's event loop. Nothing is scheduled on the event loop otherwise
     * (a periodic task there cost idle LOOKUP p99 about 100 µs in {@code bench net}).
     */
    void checkStuck(long now) {
        checkStalledPayload(now);
        Request r = current;
        if (r == null || r == reported || now - r.startNanos < STUCK_NANOS) {
            return;
        }
        reported = r;
        ctx.executor().execute(() -> {
            if (current == r) {
                LOG.warn("connection {}: {} request #{} still running after {} ms ({})", ctx.channel().remoteAddress(),
                        r.op(), r.frame.requestId(), (System.nanoTime() - r.startNanos) / 1_000_000, state(r));
            }
        });
    }

    /**
     * Closes the connection if a PUT payload it is receiving into reserved store memory has made no progress for
     * {@code maxLeaseMillis}: the reservation holds tier memory and claims the block's key, so a client that
     * stalls mid-value (or a slow-loris) must not keep it (docs/server.md). Watchdog thread.
     */
    private void checkStalledPayload(long now) {
        FrameDecoder decoder = ctx.pipeline().get(FrameDecoder.class);
        long limitNanos = Math.max(1, sc.config().maxLeaseMillis()) * 1_000_000L;
        long stalled = decoder == null ? 0 : decoder.payloadStalledNanos(now);
        if (stalled <= limitNanos) {
            return;
        }
        ctx.executor().execute(() -> {
            if (ctx.channel().isActive() && decoder.payloadStalledNanos(System.nanoTime()) > limitNanos) {
                LOG.warn("connection {}: no byte of a PUT payload for {} ms (maxLeaseMillis {}); closing it, which "
                        + "gives its reserved memory and key back", ctx.channel().remoteAddress(),
                        decoder.payloadStalledNanos(System.nanoTime()) / 1_000_000, sc.config().maxLeaseMillis());
                sc.metrics().protocolError("PAYLOAD_STALLED");
                ctx.close();
            }
        });
    }

    /** What a connection's current request waits for, for the watchdog's line. */
    String state(Request r) {
        PutHandler.PutState put = r.op() == Opcode.PUT ? puts.get(r.frame.requestId()) : null;
        return "queued " + queue.size() + " frames / " + queuedBytes + " bytes, "
                + (ctx.channel().config().isAutoRead() ? "reading" : "not reading")
                + (ctx.channel().isWritable() ? ", writable" : ", not writable")
                + (onWritable != null ? ", parked until writable" : "")
                + (put != null ? ", " + put : "") + ", blocking pool queue " + sc.blockingQueueSize();
    }

    private void runNext() {
        while (current == null && !queue.isEmpty()) {
            Object m = queue.poll();
            if (m instanceof DecodeError e) {
                queueDrained(0);
                onDecodeError(e);
                continue;
            }
            Frame f = (Frame) m;
            Request r = new Request(this, f);
            current = r;
            dispatch(r);
        }
    }

    private void dispatch(Request r) {
        Frame f = r.frame;
        try {
            Opcode op = f.opcode();
            OpHandler h = op == null ? null : handlers.get(op);
            if (sc.lifecycle().draining()) {
                r.fail(ErrorCode.SHUTTING_DOWN, "the server is shutting down");
            } else if (h == null) {
                r.fail(ErrorCode.UNKNOWN_OPCODE, "opcode 0x" + Integer.toHexString(f.opcodeCode())
                        + " is not defined in protocol version 1");
            } else if (!session.open() && !h.allowedBeforeHello()) {
                r.fail(ErrorCode.NOT_AUTHENTICATED, op + " before HELLO; send HELLO first");
            } else {
                Wire.checkFlags(f.flags(), h.allowedFlags(), op);
                h.handle(r);
            }
        } catch (ProtocolException e) {
            if (!r.finished()) {
                r.fail(e.code(), e.detail());
            }
        } catch (RuntimeException | Error e) {
            LOG.warn("request {} failed", f, e);
            if (!r.finished()) {
                r.fail(ErrorCode.INTERNAL, e.toString());
            }
        } catch (Exception e) {
            if (!r.finished()) {
                r.fail(ErrorCode.INTERNAL, e.toString());
            }
        }
    }

    /** Called by {@link Request#finish()}. */
    void finished(Request r) {
        if (r != current) {
            throw new IllegalStateException("finished a request that is not current: " + r.frame);
        }
        current = null;
        queueDrained(r.queuedBytes); // what was counted on arrival: the handler may have read the body since
        r.frame.release();
        // let the stack unwind before the next request (a handler may finish from inside a listener)
        ctx.executor().execute(this::runNext);
    }

    private void queueDrained(long bytes) {
        queuedBytes -= bytes;
        sc.lifecycle().end();
        if (!closed && !ctx.channel().config().isAutoRead()
                && queue.size() < Math.max(1, sc.config().maxPipelinedRequests() / 2)
                && queuedBytes < sc.config().maxInFlightBytesPerConnection() / 2) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void onDecodeError(DecodeError e) {
        sc.metrics().protocolError(e.code().name());
        if (e.code() == ErrorCode.TRUNCATED) {
            LOG.debug("connection {}: {}", ctx.channel().remoteAddress(), e.message());
            return;
        }
        var f = ctx.writeAndFlush(Frame.error(e.opcode(), e.requestId(), e.code(), e.message()));
        if (e.code().fatal()) {
            closed = true;
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
