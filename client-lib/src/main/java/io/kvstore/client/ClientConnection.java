package io.kvstore.client;

import java.nio.file.Path;
import java.util.List;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.DecodeError;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.Frame;
import io.kvstore.protocol.FrameDecoder;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.FrameEncoder;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.ProtocolLimits;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.Hello;
import io.kvstore.protocol.body.HelloReply;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection (TCP or Unix domain socket) bound to one namespace by its HELLO. Routes response frames to their calls by request id;
 * fails every pending call when the connection closes. Thread-safe: calls may be issued from any thread.
 */
final class ClientConnection {

    private final ClientOptions options;
    private final Namespace namespace;
    private final Channel channel;
    private final Map<Long, Object> calls = new ConcurrentHashMap<>();
    private final AtomicLong ids;
    private volatile HelloReply hello;
    private volatile ShmReader shm;
    private volatile ShmWriter shmWriter;
    private volatile String closeReason;

    private ClientConnection(ClientOptions options, Namespace namespace, Channel channel, AtomicLong ids) {
        this.options = options;
        this.namespace = namespace;
        this.channel = channel;
        this.ids = ids;
    }

    /** What a client accepts from the server: frames up to {@code o.maxFrameBytes()}; key and string counts open. */
    static ProtocolLimits limits(ClientOptions o) {
        return new ProtocolLimits(o.maxFrameBytes(), Integer.MAX_VALUE / 64, 65535);
    }

    /** Connects and says HELLO; the future fails with the server's answer if the session is refused. */
    static ClientConnection open(EventLoopGroup group, ClientTransport transport, ClientOptions o, Namespace ns,
                                 AtomicLong ids, ArenaMappings mappings) {
        ProtocolLimits limits = limits(o);
        ClientConnection[] holder = new ClientConnection[1];
        Bootstrap b = new Bootstrap().group(group).channel(transport.channelClass(o))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) o.connectTimeout().toMillis())
                .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(512, 64 << 10, 1 << 20))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        FrameDecoder decoder = new FrameDecoder(limits);
                        // block frames are MiB-sized: gather the socket reads instead of copying them together
                        decoder.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
                        ch.pipeline().addLast(decoder).addLast(FrameEncoder.INSTANCE)
                                .addLast(new Inbound(() -> holder[0]));
                    }
                });
        if (o.socketPath() == null) {
            b.option(ChannelOption.TCP_NODELAY, true);
        }
        ChannelFuture cf = b.connect(transport.address(o));
        if (!cf.awaitUninterruptibly(o.connectTimeout().toMillis() + 1000) || !cf.isSuccess()) {
            cf.channel().close();
            throw new KvStoreException.ConnectionClosed("cannot connect to " + o.address(), cf.cause());
        }
        ClientConnection c = new ClientConnection(o, ns, cf.channel(), ids);
        holder[0] = c;
        ByteBuf body = cf.channel().alloc().buffer(128);
        // with shared memory, the server may compute the checksums of the blocks written into its arena (ShmWriter)
        new Hello(FrameDescriptor.VERSION, ns, o.token(),
                o.sharedMemory() ? Hello.FEATURE_SHM | Hello.FEATURE_SERVER_CHECKSUM : 0).write(body);
        try {
            Frame f = c.call(Opcode.HELLO, 0, body).get(o.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
            try {
                c.hello = HelloReply.read(f.body());
            } finally {
                f.release();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            c.channel.close();
            throw e.getCause() instanceof KvStoreException k ? k : new KvStoreException("HELLO failed", e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            c.channel.close();
            throw new KvStoreException.Timeout("no HELLO answer from " + o.address() + " within "
                    + o.connectTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.channel.close();
            throw new KvStoreException("interrupted during HELLO", e);
        }
        if (c.hello.offersShm()) {
            c.shm = ShmReader.attach(c, Path.of(c.hello.shmDirectory()), o.connectTimeout(), mappings);
            if (c.shm != null) {
                c.shmWriter = new ShmWriter(c, Path.of(c.hello.shmDirectory()), mappings);
            }
        }
        return c;
    }

    boolean isOpen() {
        return channel.isActive();
    }

    /** The shared-memory reader, or null when this connection uses the TCP path only. */
    ShmReader shm() {
        return shm;
    }

    /** The shared-memory writer (attached like {@link #shm()}), or null when PUT goes over TCP only. */
    ShmWriter shmWriter() {
        return shmWriter;
    }

    /** The most keys (or blocks) one request may carry: the server's {@code maxKeysPerRequest}, at least 1. */
    int maxKeysPerRequest() {
        return Math.max(1, hello().maxKeysPerRequest());
    }

    HelloReply hello() {
        return hello;
    }

    Namespace namespace() {
        return namespace;
    }

    Channel channel() {
        return channel;
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    /** Sends a one-frame request and completes with its (OK) response frame, which the caller must release. */
    CompletableFuture<Frame> call(Opcode op, int flags, ByteBuf body) {
        long id = nextId();
        CompletableFuture<Frame> f = new CompletableFuture<>();
        calls.put(id, f);
        Frame request = Frame.request(op, flags, id, body);
        // one hand-off to the event loop per call (timer and write together): a round trip from a caller
        // thread then wakes the loop once, which is most of a small call's latency on a busy host
        if (channel.eventLoop().inEventLoop()) {
            startCall(id, f, request);
        } else {
            channel.eventLoop().execute(() -> startCall(id, f, request));
        }
        return f;
    }

    private void startCall(long id, CompletableFuture<Frame> f, Frame request) {
        armTimeout(id, f, request.opcode());
        if (!channel.isActive()) {
            request.release();
            fail(id, closedException());
            return;
        }
        channel.writeAndFlush(request, channel.voidPromise());
    }

    /** Registers a unary call with the request timeout (for calls whose frames the caller writes). */
    CompletableFuture<Frame> register(long id, Opcode op) {
        CompletableFuture<Frame> f = new CompletableFuture<>();
        calls.put(id, f);
        armTimeout(id, f, op);
        if (!channel.isActive()) {
            fail(id, closedException());
        }
        return f;
    }

    private void armTimeout(long id, CompletableFuture<Frame> f, Opcode op) {
        ScheduledFuture<?> t = channel.eventLoop().schedule(() -> {
            if (calls.remove(id) != null) {
                f.completeExceptionally(new KvStoreException.Timeout("no answer to " + op + " request #" + id
                        + " within " + options.requestTimeout() + " (connection " + state() + ")"));
            }
        }, options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        f.whenComplete((v, e) -> t.cancel(false));
    }

    /** The channel's state, for a timeout's message: what a stalled connection is waiting for. */
    private String state() {
        return (channel.isActive() ? "open" : "closed") + (channel.config().isAutoRead() ? "" : ", not reading")
                + (channel.isWritable() ? "" : ", not writable (" + channel.bytesBeforeWritable()
                + " bytes to flush)") + ", " + calls.size() + " call(s) pending";
    }

    BlockStream stream(Opcode op, ByteBuf body) {
        return stream(op, body, List.of());
    }

    /** A GET stream whose first blocks are {@code first} (read from shared memory), then the server's. */
    BlockStream stream(Opcode op, ByteBuf body, List<ReceivedBlock> first) {
        long id = nextId();
        BlockStream s = new BlockStream(this, id, options.requestTimeout(), options.streamWindow());
        first.forEach(s::prefill);
        calls.put(id, s);
        if (!channel.isActive()) {
            fail(id, closedException());
        }
        write(Frame.request(op, 0, id, body), true);
        return s;
    }

    void write(Frame f, boolean flush) {
        if (flush) {
            channel.writeAndFlush(f, channel.voidPromise());
        } else {
            channel.write(f, channel.voidPromise());
        }
    }

    void pauseReading() {
        channel.config().setAutoRead(false);
    }

    void resumeReading() {
        if (!channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
            channel.read();
        }
    }

    void close() {
        closeReason = "closed by the client";
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    private KvStoreException closedException() {
        String why = closeReason == null ? "connection to " + options.address() + " closed"
                : closeReason;
        return new KvStoreException.ConnectionClosed(why, null);
    }

    private void fail(long id, KvStoreException e) {
        Object c = calls.remove(id);
        if (c instanceof CompletableFuture<?> f) {
            f.completeExceptionally(e);
        } else if (c instanceof BlockStream s) {
            s.onError(e);
        }
    }

    // ---- event loop ----

    private void onFrame(Frame f) {
        Object call = calls.get(f.requestId());
        if (f.statusCode() != ErrorCode.OK.code()) {
            KvStoreException e = KvStoreException.answered(f);
            f.release();
            if (f.status().fatal()) {
                closeReason = e.getMessage();
            }
            if (call != null) {
                fail(f.requestId(), e);
            } else if (f.requestId() == 0) {
                calls.keySet().forEach(id -> fail(id, e));
            }
            return;
        }
        if (call instanceof BlockStream s) {
            if (f.hasFlag(FrameDescriptor.FLAG_END)) {
                calls.remove(f.requestId());
                int n = f.body().readableBytes() >= 4 ? f.body().readInt() : -1;
                f.release();
                s.onEnd(n);
            } else {
                try {
                    BlockMeta m = Wire.readBlockHeader(f.body(), namespace.id());
                    s.onBlock(new ReceivedBlock(m, f.body().retainedSlice()));
                } catch (RuntimeException ex) {
                    calls.remove(f.requestId());
                    s.onError(new KvStoreException(ErrorCode.MALFORMED, "bad block frame: " + ex.getMessage()));
                } finally {
                    f.release();
                }
            }
        } else if (call instanceof CompletableFuture<?> cf) {
            calls.remove(f.requestId());
            @SuppressWarnings("unchecked")
            CompletableFuture<Frame> ff = (CompletableFuture<Frame>) cf;
            if (!ff.complete(f)) {
                f.release();
            }
        } else {
            f.release(); // answer to a call that timed out
        }
    }

    private void onClosed() {
        KvStoreException e = closedException();
        for (Long id : List.copyOf(calls.keySet())) {
            fail(id, e);
        }
    }

    private static final class Inbound extends SimpleChannelInboundHandler<Object> {
        private final java.util.function.Supplier<ClientConnection> conn;

        Inbound(java.util.function.Supplier<ClientConnection> conn) {
            super(false);
            this.conn = conn;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            ClientConnection c = conn.get();
            if (msg instanceof Frame f) {
                if (c == null) {
                    f.release();
                } else {
                    c.onFrame(f);
                }
            } else if (msg instanceof DecodeError e && c != null) {
                c.closeReason = "bad frame from the server: " + e.message();
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ClientConnection c = conn.get();
            if (c != null) {
                c.onClosed();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ClientConnection c = conn.get();
            if (c != null) {
                c.closeReason = "connection failed: " + cause;
            }
            ctx.close();
        }
    }
}
