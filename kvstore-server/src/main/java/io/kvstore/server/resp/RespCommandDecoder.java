package io.kvstore.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringRedisContent;
import io.netty.handler.codec.redis.DefaultLastBulkStringRedisContent;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.LastBulkStringRedisContent;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the message stream of Netty's {@link RedisDecoder} into {@link RespCommand}s: an array of bulk strings
 * (what every client sends) or an inline command (a line typed into telnet). Netty's own array aggregator is not
 * used because it sizes its list from the client's array header; here the header is checked against the limit
 * first, and so is every bulk string's length, before a byte of it is buffered. An argument that arrived in one piece
 * is kept as that slice of the read buffer (no copy); one that spans reads is gathered into one buffer of its exact
 * size, so a value always reaches the store as one contiguous buffer. For a value of {@value #READ_IN_PLACE_MIN}
 * bytes or more (up to {@value #PREALLOCATE_LIMIT}) that buffer is made as soon as its header is in, and the
 * socket reads the rest of the value straight into it ({@link #readTarget}, through the channel's {@link
 * io.kvstore.protocol.PayloadReadAllocator}): Netty's decoder then hands back slices of that very memory, which
 * are recognised by address and not copied. Before, every byte of a large SET was copied once more, from the read
 * buffer into this one (9% of the daemon's CPU in a 1 MiB {@code redis-benchmark} SET profile).
 *
 * <p>Input that is not a command (a nested array, an integer where a bulk string belongs, an oversized length, or
 * bytes the RESP decoder rejects) becomes a protocol-error command, queued in order behind the commands before it;
 * nothing after it is read.
 */
final class RespCommandDecoder extends ChannelInboundHandlerAdapter {

    /** A bulk string larger than this is gathered in a buffer that grows as its bytes arrive. */
    private static final int PREALLOCATE_LIMIT = 4 << 20;
    /** A bulk string at least this long (and at most {@link #PREALLOCATE_LIMIT}) is read in place. */
    static final int READ_IN_PLACE_MIN = 64 << 10;

    private final ByteBufAllocator alloc;

    private final int maxArgs;
    private final int maxBulkBytes;
    private List<ByteBuf> args;
    private long expected;
    private ByteBuf bulk;
    private int bulkLength = -1;
    private boolean failed;

    /**
     * @param maxArgs      most arguments (name included) of one command
     * @param maxBulkBytes longest argument (value) in bytes
     * @param alloc        the channel's allocator, for the buffers values are gathered in
     */
    RespCommandDecoder(int maxArgs, int maxBulkBytes, ByteBufAllocator alloc) {
        this.maxArgs = maxArgs;
        this.maxBulkBytes = maxBulkBytes;
        this.alloc = alloc;
    }

    /**
     * The buffer the channel's next read goes into while a large value is arriving: a slice of the value's own
     * buffer, where its next bytes belong; null otherwise (the channel's usual read buffer). Event loop.
     */
    ByteBuf readTarget() {
        if (failed || bulkLength < READ_IN_PLACE_MIN || bulkLength > PREALLOCATE_LIMIT) {
            return null;
        }
        if (bulk == null) {
            bulk = newBulk();
        }
        int remaining = bulkLength - bulk.writerIndex();
        if (remaining == 0 || !bulk.hasMemoryAddress()) {
            return null;
        }
        return bulk.retainedSlice(bulk.writerIndex(), remaining).clear();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // The two messages of nearly every argument are tested by their exact class first: a type test against an
        // interface (BulkStringRedisContent, ReferenceCounted) checks the class's secondary supertypes, whose
        // one-entry cache these alternating tests keep evicting, on every event loop at once.
        if (msg.getClass() == DefaultLastBulkStringRedisContent.class) {
            DefaultLastBulkStringRedisContent c = (DefaultLastBulkStringRedisContent) msg;
            try {
                if (!failed) {
                    content(ctx, c.content(), true);
                }
            } finally {
                c.release();
            }
            return;
        }
        if (msg.getClass() == BulkStringHeaderRedisMessage.class) { // holds no buffer
            if (!failed) {
                bulkHeader(ctx, (BulkStringHeaderRedisMessage) msg);
            }
            return;
        }
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            accept(ctx, msg);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void bulkHeader(ChannelHandlerContext ctx, BulkStringHeaderRedisMessage h) {
        if (args == null) {
            fail(ctx, "expected '*' (an array of bulk strings), got '$'");
        } else if (h.bulkStringLength() > maxBulkBytes) {
            fail(ctx, "a bulk string of " + h.bulkStringLength() + " bytes is over the limit of " + maxBulkBytes
                    + " bytes (maxFrameBytes)");
        } else {
            bulkLength = h.bulkStringLength();
        }
    }

    private void content(ChannelHandlerContext ctx, ByteBuf content, boolean last) {
        if (bulkLength < 0) {
            fail(ctx, "bulk string content without a header");
            return;
        }
        if (last && bulk == null) { // the whole argument in one piece of the read buffer: keep that piece
            bulkLength = -1;
            add(ctx, content.retain());
            return;
        }
        if (bulk == null) {
            bulk = newBulk();
        }
        if (content.hasMemoryAddress() && bulk.hasMemoryAddress()
                && content.memoryAddress() == bulk.memoryAddress() + bulk.writerIndex()
                && content.readableBytes() <= bulk.writableBytes()) {
            bulk.writerIndex(bulk.writerIndex() + content.readableBytes()); // read in place: already there
        } else {
            bulk.writeBytes(content);
        }
        if (last) {
            ByteBuf done = bulk;
            bulk = null;
            bulkLength = -1;
            add(ctx, done);
        }
    }

    /** The buffer a bulk string of {@code bulkLength} bytes is gathered in: all of it at once up to the limit. */
    private ByteBuf newBulk() {
        return alloc.directBuffer(Math.min(bulkLength, PREALLOCATE_LIMIT), bulkLength);
    }

    private void accept(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ArrayHeaderRedisMessage h) {
            if (args != null) {
                fail(ctx, "nested arrays are not commands");
            } else if (h.isNull() || h.length() <= 0) {
                return; // Redis ignores *0 and *-1
            } else if (h.length() > maxArgs) {
                fail(ctx, "a command of " + h.length() + " arguments is over the limit of " + maxArgs);
            } else {
                args = new ArrayList<>((int) Math.min(h.length(), 16));
                expected = h.length();
            }
        } else if (msg instanceof BulkStringHeaderRedisMessage h) {
            bulkHeader(ctx, h);
        } else if (msg instanceof BulkStringRedisContent c) {
            content(ctx, c.content(), msg instanceof LastBulkStringRedisContent);
        } else if (msg instanceof FullBulkStringRedisMessage f) { // $0 and $-1 come whole
            if (args == null) {
                fail(ctx, "expected '*' (an array of bulk strings), got '$'");
            } else {
                add(ctx, f.isNull() ? Unpooled.EMPTY_BUFFER : f.content().retain());
            }
        } else if (msg instanceof InlineCommandRedisMessage inline) {
            if (args != null) {
                fail(ctx, "expected '$', got an inline command");
                return;
            }
            List<ByteBuf> words = new ArrayList<>();
            for (String w : inline.content().trim().split("\\s+")) {
                if (!w.isEmpty()) {
                    words.add(Unpooled.copiedBuffer(w, StandardCharsets.UTF_8));
                }
            }
            if (words.size() > maxArgs) {
                words.forEach(ByteBuf::release);
                fail(ctx, "a command of " + words.size() + " arguments is over the limit of " + maxArgs);
            } else if (!words.isEmpty()) {
                ctx.fireChannelRead(RespCommand.of(words));
            }
        } else {
            fail(ctx, "expected '$' (a bulk string), got " + msg.getClass().getSimpleName());
        }
    }

    private void add(ChannelHandlerContext ctx, ByteBuf arg) {
        args.add(arg);
        if (args.size() == expected) {
            List<ByteBuf> done = args;
            args = null;
            ctx.fireChannelRead(RespCommand.of(done));
        }
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        failed = true;
        dropPartial();
        ctx.channel().config().setAutoRead(false);
        ctx.fireChannelRead(RespCommand.error(why));
    }

    private void dropPartial() {
        if (args != null) {
            args.forEach(ByteBuf::release);
            args = null;
        }
        if (bulk != null) {
            bulk.release();
            bulk = null;
        }
        bulkLength = -1;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!failed) { // the RESP decoder rejected the bytes
            Throwable c = cause.getCause() != null && cause.getMessage() != null
                    && cause.getMessage().startsWith("io.netty") ? cause.getCause() : cause;
            fail(ctx, String.valueOf(c.getMessage()));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        dropPartial(); // a client that vanished mid-value
        ctx.fireChannelInactive();
    }
}
