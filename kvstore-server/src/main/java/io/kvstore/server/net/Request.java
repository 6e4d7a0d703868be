package io.kvstore.server.net;

import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.Frame;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.Opcode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;

import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;

/**
 * One request in progress on a connection: its frame, the connection's session, and the ways to answer. Used on
 * the connection's event loop only.
 */
final class Request {

    final Connection conn;
    final Frame frame;
    final ServerContext sc;
    final long startNanos = System.nanoTime();
    /** Body bytes the connection's flow control counted for this request when it arrived (handlers read the body). */
    final int queuedBytes;
    private boolean finished;
    private String status = "OK";

    Request(Connection conn, Frame frame) {
        this.conn = conn;
        this.frame = frame;
        this.sc = conn.sc;
        this.queuedBytes = frame.body().readableBytes();
    }

    Opcode op() {
        return frame.opcode();
    }

    ByteBuf body() {
        return frame.body();
    }

    ChannelHandlerContext ctx() {
        return conn.ctx;
    }

    Session session() {
        return conn.session;
    }

    /** Writes an OK response with {@code body} and finishes. */
    void reply(ByteBuf body) {
        conn.ctx.write(Frame.response(op(), FrameDescriptor.FLAG_END, frame.requestId(), body));
        finishAndFlush();
    }

    /** Writes an OK response frame without finishing (streams). */
    void write(int flags, ByteBuf body) {
        conn.ctx.writeAndFlush(Frame.response(op(), flags, frame.requestId(), body));
    }

    /** Writes an error response, closes the connection if the error is fatal, and finishes. */
    void fail(ErrorCode code, String message) {
        status = code.name();
        sc.metrics().protocolError(code.name());
        var f = conn.ctx.write(Frame.error(frame.opcodeCode(), frame.requestId(), code, message));
        if (code.fatal()) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
        finishAndFlush();
    }

    /**
     * Finishes, then flushes the reply just written. The request's duration ends before the flush: over loopback
     * the flush also runs the kernel's delivery to the peer and may wake it in this thread's place, which is the
     * transport's time, not the request's; {@code kvstore_reply_write_duration_seconds} counts it apart.
     */
    private void finishAndFlush() {
        boolean first = !finished;
        finish();
        long t0 = System.nanoTime();
        conn.ctx.flush();
        if (first) {
            sc.metrics().replyWritten(opName(), System.nanoTime() - t0);
        }
    }

    private String opName() {
        return frame.opcode() == null ? "unknown" : frame.opcode().name();
    }

    /**
     * Runs {@code work} on the bounded blocking pool and {@code then} with its result (or failure) back on the
     * event loop. A full pool answers BUSY.
     */
    <T> void offload(Callable<T> work, BiConsumer<T, Throwable> then) {
        try {
            sc.blocking().execute(() -> {
                T v = null;
                Throwable err = null;
                try {
                    v = work.call();
                } catch (Throwable t) {
                    err = t;
                }
                T value = v;
                Throwable error = err;
                try {
                    conn.ctx.executor().execute(() -> then.accept(value, error));
                } catch (RejectedExecutionException loopGone) {
                    then.accept(value, error == null ? loopGone : error);
                }
            });
        } catch (RejectedExecutionException full) {
            fail(ErrorCode.BUSY, "the blocking pool is full (" + sc.config().blockingQueueDepth()
                    + " queued tasks); retry");
        }
    }

    boolean finished() {
        return finished;
    }

    /** Marks the request done; the connection releases the frame and starts the next one. Idempotent. */
    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        sc.metrics().request(opName(), status, System.nanoTime() - startNanos);
        conn.finished(this);
    }
}
