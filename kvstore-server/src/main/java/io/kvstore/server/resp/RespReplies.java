package io.kvstore.server.resp;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.server.door.Reply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The replies of the Redis door. Small replies are Netty {@link RedisMessage}s written through its encoder; a value
 * read from the store larger than 16 KiB is written as the RESP bulk-string header, the block's own payload buffer (a
 * DRAM hit goes from off-heap memory to the socket without a copy, as in the native GET) and CRLF, and its handle is
 * closed when Netty has written or dropped the payload; a smaller one is copied into one reply buffer, which costs
 * less than three buffers and a write listener.
 */
final class RespReplies {

    static final Reply OK = message(new SimpleStringRedisMessage("OK"));
    static final Reply NIL = message(FullBulkStringRedisMessage.NULL_INSTANCE);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final int CRLF_SHORT = ('\r' << 8) | '\n';
    /** Values up to this size are copied into the reply buffer; larger ones go out zero-copy. */
    private static final int COPY_LIMIT = 16 << 10;

    private RespReplies() {
    }

    /** A reply that is a RESP error, counted as such in the metrics. */
    static final class Error implements Reply {
        private final String text;
        private final boolean closes;

        Error(String text, boolean closes) {
            this.text = text;
            this.closes = closes;
        }

        @Override
        public void write(ChannelHandlerContext ctx) {
            ctx.write(new ErrorRedisMessage(text));
        }

        @Override
        public boolean closes() {
            return closes;
        }
    }

    static Reply message(RedisMessage m) {
        return ctx -> ctx.write(m);
    }

    /** {@code -<text>}; the text starts with the error code (ERR, WRONGPASS, NOAUTH, ...). */
    static Reply error(String text) {
        return new Error(text, false);
    }

    /** An error after which the connection closes. */
    static Reply fatal(String text) {
        return new Error(text, true);
    }

    static Reply simple(String s) {
        return message(new SimpleStringRedisMessage(s));
    }

    static Reply integer(long v) {
        return message(new IntegerRedisMessage(v));
    }

    static Reply bulk(String s) {
        return message(bulkMessage(s));
    }

    static FullBulkStringRedisMessage bulkMessage(String s) {
        return new FullBulkStringRedisMessage(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    static Reply array(List<RedisMessage> items) {
        return message(items.isEmpty() ? ArrayRedisMessage.EMPTY_INSTANCE : new ArrayRedisMessage(items));
    }

    static Reply strings(List<String> items) {
        List<RedisMessage> m = new ArrayList<>(items.size());
        items.forEach(s -> m.add(bulkMessage(s)));
        return array(m);
    }

    /** The value of one block, or nil for null. */
    static Reply value(BlockHandle h) {
        return h == null ? NIL : new Values(List.of(h), false);
    }

    /** An array of values (MGET): one element per key, nil for a null handle. */
    static Reply values(List<BlockHandle> handles) {
        return new Values(handles, true);
    }

    /** Block values written zero-copy; each handle is closed once its payload is written or dropped. */
    private static final class Values implements Reply {
        private final List<BlockHandle> handles;
        private final boolean array;

        Values(List<BlockHandle> handles, boolean array) {
            this.handles = handles;
            this.array = array;
        }

        @Override
        public void write(ChannelHandlerContext ctx) {
            if (array) {
                ctx.write(header(ctx, '*', handles.size()));
            }
            for (BlockHandle h : handles) {
                if (h == null) {
                    ctx.write(header(ctx, '$', -1));
                    continue;
                }
                int length = h.meta().length();
                if (length <= COPY_LIMIT) { // small: one buffer, fewer objects than the zero-copy path
                    ByteBuf b = ctx.alloc().ioBuffer(length + 16);
                    b.writeByte('$').writeCharSequence(Integer.toString(length), StandardCharsets.US_ASCII);
                    b.writeShort(CRLF_SHORT);
                    try {
                        b.writeBytes(h.payload());
                    } finally {
                        h.close();
                    }
                    ctx.write(b.writeShort(CRLF_SHORT));
                    continue;
                }
                ctx.write(header(ctx, '$', length));
                if (length > 0) {
                    ByteBuf payload;
                    try {
                        payload = Unpooled.wrappedBuffer(h.payload());
                    } catch (RuntimeException e) {
                        h.close();
                        throw e;
                    }
                    ctx.write(payload).addListener(f -> h.close());
                } else {
                    h.close();
                }
                ctx.write(Unpooled.wrappedBuffer(CRLF));
            }
        }

        @Override
        public void discard() {
            handles.forEach(h -> {
                if (h != null) {
                    h.close();
                }
            });
        }

        private static ByteBuf header(ChannelHandlerContext ctx, char type, long n) {
            String s = type + Long.toString(n) + "\r\n";
            ByteBuf b = ctx.alloc().ioBuffer(s.length());
            b.writeCharSequence(s, StandardCharsets.US_ASCII);
            return b;
        }
    }
}
