package io.kvstore.server.door;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection of a foreign door: runs its decoded requests one at a time, in arrival order, and writes their
 * replies in that order (pipelining without reordering).
 *
 * <p>A request that only touches the directory or an in-memory tier runs on the event loop ({@link #inline}), and
 * so does a write that turns out to need no waiting ({@link #tryExecuteHere}); the others (writes that must wait
 * for room, deletes, reads of lower tiers) run on the doors' blocking pool, several consecutive ones in one
 * task, so that a pipelined client pays one hand-off per batch, not per request; a batch of writes to distinct keys
 * that answer nothing the others could change ({@link #independentWrite}: LMCache's PUT) runs its requests in
 * parallel instead. While a batch runs, requests that
 * arrive queue behind it. Replies are flushed once per read from the socket (all the pipelined requests it held) and
 * once per batch. The connection stops reading while more
 * than {@code maxPipelinedRequests} requests or {@code maxInFlightBytesPerConnection} bytes are queued, and stops
 * running requests while the channel is not writable, so a client that does not read its replies makes TCP push
 * back on it instead of making the server buffer. Small replies are appended to one {@link ReplyBuffer}, so a read's
 * worth of pipelined replies leaves in one buffer. When the blocking pool's queue is full a batch waits and retries:
 * the client sees latency, not an error. Event-loop confined, except {@link #execute} of batched requests.
 *
 * @param <T> the decoded request type
 */
public abstract class DoorConnection<T> extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(DoorConnection.class);
    private static final int MAX_BATCH = 64;
    private static final long MAX_BATCH_BYTES = 16L << 20;

    protected final DoorContext dc;
    protected ChannelHandlerContext ctx;
    private ReplyBuffer out;
    private final Class<T> type;
    private final ArrayDeque<T> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean running;
    private boolean closed;
    private boolean unflushed;

    protected DoorConnection(DoorContext dc, Class<T> type) {
        this.dc = dc;
        this.type = type;
    }

    /** True if {@code request} may run on the event loop (no I/O, no waiting). */
    protected abstract boolean inline(T request);

    /** Runs a request; on the event loop if {@link #inline}, else on the blocking pool. Never throws. */
    protected abstract Reply execute(T request);

    /**
     * For a request that is not {@link #inline}: a chance to run it on the event loop after all, where it turns out
     * to need no waiting (no I/O, no contended lock, room at once). Its reply, or null: the request then runs on the
     * blocking pool as usual ({@link #execute}), which must complete whatever this call began. Never throws.
     * Default: null.
     */
    protected Reply tryExecuteHere(T request) {
        return null;
    }

    /**
     * For a request that only writes (and is answered with nothing that depends on other requests), the key it
     * writes; null for every other request. A batch made only of such requests with distinct keys runs its requests
     * in parallel on the blocking pool: no request of the batch can observe another's effect, and the requests after
     * the batch still wait for all of it. Default: null (requests run one after another).
     */
    protected Object independentWrite(T request) {
        return null;
    }

    /** Bytes the request holds (for flow control). */
    protected abstract long bytes(T request);

    /** Releases what the request holds; called once per request, after it ran or when it is dropped. */
    protected abstract void release(T request);

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.out = new ReplyBuffer(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        dc.metrics().connectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!type.isInstance(msg)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        T request = type.cast(msg);
        if (closed) {
            release(request);
            return;
        }
        queue.add(request);
        queuedBytes += bytes(request);
        if (queue.size() >= dc.config().maxPipelinedRequests()
                || queuedBytes >= dc.config().maxInFlightBytesPerConnection()) {
            ctx.channel().config().setAutoRead(false);
        }
        drain(false); // flushed once at the end of the read (channelReadComplete), not once per request
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushIfPending();
        ctx.fireChannelReadComplete();
    }

    private void flushIfPending() {
        if (unflushed) {
            unflushed = false;
            out.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            drain(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeQuietly();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("{}: closing after {}", ctx.channel(), cause.toString());
        closeQuietly();
        ctx.close();
    }

    private void closeQuietly() {
        closed = true;
        T r;
        while ((r = queue.poll()) != null) {
            release(r);
        }
        queuedBytes = 0;
        out.discard();
    }

    /**
     * Runs queued requests until the queue is empty, a batch is on the blocking pool or the channel is full; flushes
     * what it wrote if {@code flush}, else leaves that to {@link #channelReadComplete}.
     */
    private void drain(boolean flush) {
        if (running || closed) {
            return;
        }
        boolean wrote = false;
        while (!queue.isEmpty() && !closed) {
            if (!ctx.channel().isWritable()) {
                break; // resumed by channelWritabilityChanged
            }
            T head = queue.peek();
            if (inline(head)) {
                take();
                Reply reply;
                try {
                    reply = execute(head);
                } finally {
                    release(head);
                }
                wrote = true;
                if (!emit(reply)) {
                    break;
                }
                continue;
            }
            Reply quick = tryExecuteHere(head);
            if (quick != null) {
                take();
                release(head);
                wrote = true;
                if (!emit(quick)) {
                    break;
                }
                continue;
            }
            List<T> batch = new ArrayList<>();
            long bytes = 0;
            while (!queue.isEmpty() && batch.size() < MAX_BATCH && bytes < MAX_BATCH_BYTES && !inline(queue.peek())) {
                bytes += bytes(queue.peek());
                batch.add(take());
            }
            running = true;
            if (independent(batch)) {
                Reply[] replies = new Reply[batch.size()];
                AtomicInteger left = new AtomicInteger(batch.size());
                for (int i = 0; i < batch.size(); i++) {
                    submitOne(batch.get(i), i, replies, left);
                }
            } else {
                submit(batch);
            }
            break;
        }
        unflushed |= wrote;
        if (flush) {
            flushIfPending();
        }
        if (!closed && !ctx.channel().config().isAutoRead()
                && queue.size() <= dc.config().maxPipelinedRequests() / 2
                && queuedBytes <= dc.config().maxInFlightBytesPerConnection() / 2) {
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        }
    }

    private T take() {
        T r = queue.poll();
        queuedBytes -= bytes(r);
        return r;
    }

    /** Writes a reply; false if it closed the connection. */
    private boolean emit(Reply reply) {
        if (closed) {
            reply.discard();
            return false;
        }
        reply.write(out);
        if (reply.closes()) {
            out.flush();
            closeQuietly();
            ctx.close();
            return false;
        }
        return true;
    }

    private void submit(List<T> batch) {
        try {
            dc.blocking().execute(() -> {
                List<Reply> replies = new ArrayList<>(batch.size());
                for (T r : batch) {
                    try {
                        replies.add(execute(r));
                    } finally {
                        release(r);
                    }
                }
                ctx.executor().execute(() -> finish(replies));
            });
        } catch (RejectedExecutionException e) {
            if (closed) {
                batch.forEach(this::release);
                running = false;
                return;
            }
            ctx.executor().schedule(() -> submit(batch), 1, TimeUnit.MILLISECONDS); // the pool is full: wait
        }
    }

    private boolean independent(List<T> batch) {
        if (batch.size() < 2) {
            return false;
        }
        Set<Object> keys = new HashSet<>();
        for (T r : batch) {
            Object k = independentWrite(r);
            if (k == null || !keys.add(k)) {
                return false;
            }
        }
        return true;
    }

    /** Runs request {@code i} of a parallel batch; the last one to finish hands the replies to the event loop. */
    private void submitOne(T request, int i, Reply[] replies, AtomicInteger left) {
        Runnable done = () -> {
            if (left.decrementAndGet() == 0) { // the atomic orders every task's reply before this read
                ctx.executor().execute(() -> finish(Arrays.asList(replies)));
            }
        };
        try {
            dc.blocking().execute(() -> {
                try {
                    replies[i] = execute(request);
                } finally {
                    release(request);
                }
                done.run();
            });
        } catch (RejectedExecutionException e) {
            if (closed) {
                release(request);
                replies[i] = Reply.NONE;
                done.run();
                return;
            }
            ctx.executor().schedule(() -> submitOne(request, i, replies, left), 1, TimeUnit.MILLISECONDS);
        }
    }

    private void finish(List<Reply> replies) {
        running = false;
        boolean open = true;
        for (Reply r : replies) {
            if (open) {
                open = emit(r);
            } else {
                r.discard();
            }
        }
        if (open) {
            unflushed = true;
            drain(true);
        }
    }
}
