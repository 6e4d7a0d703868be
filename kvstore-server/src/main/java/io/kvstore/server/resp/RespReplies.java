package io.kvstore.server.resp;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.server.door.Reply;
import io.kvstore.server.door.ReplyBuffer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The replies of the Redis door. Simple strings, errors, integers, bulk strings and values are RESP bytes appended
 * to the connection's {@link ReplyBuffer}, so the replies to a pipelined batch leave in one buffer; composite replies
 * (COMMAND's table, HELLO) are Netty {@link RedisMessage}s written through its encoder. A value read from the store
 * larger than 16 KiB is written as the RESP bulk-string header, the block's own payload buffer (a DRAM hit goes from
 * off-heap memory to the socket without a copy, as in the native GET) and CRLF, and its handle is closed when Netty
 * has written or dropped the payload; a smaller one is copied into the reply buffer, which costs less than a buffer
 * of its own and a write listener.
 */
final class RespReplies {

    private static final int CRLF_SHORT = ('\r' << 8) | '\n';
    /** Values up to this size are copied into the reply buffer; larger ones go out zero-copy. */
    private static final int COPY_LIMIT = 16 << 10;

    static final Reply OK = simple("OK");
    /** RESP2's null: the null bulk string. */
    static final Reply NIL = out -> out.append(5).writeByte('$').writeByte('-').writeByte('1').writeShort(CRLF_SHORT);
    /** RESP3's null. */
    static final Reply NULL = out -> out.append(3).writeByte('_').writeShort(CRLF_SHORT);

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
        public void write(ReplyBuffer out) {
            line(out, '-', text);
        }

        @Override
        public boolean closes() {
            return closes;
        }
    }

    /** A reply written by Netty's encoder (arrays and other composite replies). */
    static Reply message(RedisMessage m) {
        return out -> out.write(m);
    }

    /** {@code -<text>}; the text starts with the error code (ERR, WRONGPASS, NOAUTH, ...). */
    static Reply error(String text) {
        return new Error(text, false);
    }

    /** An error after which the connection closes. */
    static Reply fatal(String text) {
        return new Error(text, true);
    }

    /** {@code +<s>}; {@code s} has no CR or LF. */
    static Reply simple(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return out -> out.append(b.length + 3).writeByte('+').writeBytes(b).writeShort(CRLF_SHORT);
    }

    static Reply integer(long v) {
        return out -> ReplyBuffer.writeDecimal(out.append(24).writeByte(':'), v).writeShort(CRLF_SHORT);
    }

    static Reply bulk(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return out -> ReplyBuffer.writeDecimal(out.append(b.length + 16).writeByte('$'), b.length)
                .writeShort(CRLF_SHORT).writeBytes(b).writeShort(CRLF_SHORT);
    }

    private static void line(ReplyBuffer out, char type, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        out.append(b.length + 3).writeByte(type).writeBytes(b).writeShort(CRLF_SHORT);
    }

    static FullBulkStringRedisMessage bulkMessage(String s) {
        return new FullBulkStringRedisMessage(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    static Reply array(List<RedisMessage> items) {
        return message(items.isEmpty() ? ArrayRedisMessage.EMPTY_INSTANCE : new ArrayRedisMessage(items));
    }

    /** A RESP3 map of {@code keysAndValues.size() / 2} entries: key, value, key, value, ... */
    static Reply map(List<RedisMessage> keysAndValues) {
        return out -> {
            ReplyBuffer.writeDecimal(out.append(24).writeByte('%'), keysAndValues.size() / 2).writeShort(CRLF_SHORT);
            keysAndValues.forEach(out::write);
        };
    }

    static Reply strings(List<String> items) {
        List<RedisMessage> m = new ArrayList<>(items.size());
        items.forEach(s -> m.add(bulkMessage(s)));
        return array(m);
    }

    /** The value of one block, or {@code nil} (the protocol's null) for null. */
    static Reply value(BlockHandle h, Reply nil) {
        return h == null ? nil : new Values(List.of(h), false, nil);
    }

    /** An array of values (MGET): one element per key, {@code nil} for a null handle. */
    static Reply values(List<BlockHandle> handles, Reply nil) {
        return new Values(handles, true, nil);
    }

    /** Block values; each handle is closed once its payload is copied, written or dropped. */
    private static final class Values implements Reply {
        private final List<BlockHandle> handles;
        private final boolean array;
        private final Reply nil;

        Values(List<BlockHandle> handles, boolean array, Reply nil) {
            this.handles = handles;
            this.array = array;
            this.nil = nil;
        }

        @Override
        public void write(ReplyBuffer out) {
            if (array) {
                ReplyBuffer.writeDecimal(out.append(24).writeByte('*'), handles.size()).writeShort(CRLF_SHORT);
            }
            for (BlockHandle h : handles) {
                if (h == null) {
                    nil.write(out);
                    continue;
                }
                int length = h.meta().length();
                if (length <= COPY_LIMIT) { // small: copied after the header, into the batch's reply buffer
                    ByteBuf b = ReplyBuffer.writeDecimal(out.append(length + 16).writeByte('$'), length)
                            .writeShort(CRLF_SHORT);
                    try {
                        b.writeBytes(h.payload());
                    } finally {
                        h.close();
                    }
                    b.writeShort(CRLF_SHORT);
                    continue;
                }
                ReplyBuffer.writeDecimal(out.append(16).writeByte('$'), length).writeShort(CRLF_SHORT);
                ByteBuf payload;
                try {
                    payload = Unpooled.wrappedBuffer(h.payload());
                } catch (RuntimeException e) {
                    h.close();
                    throw e;
                }
                out.write(payload).addListener(f -> h.close());
                out.append(2).writeShort(CRLF_SHORT);
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
    }
}
