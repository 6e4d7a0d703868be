package io.kvstore.server.lmcache;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.server.door.DoorConnection;
import io.kvstore.server.door.DoorContext;
import io.kvstore.server.door.NamedValues;
import io.kvstore.server.door.Reply;
import io.kvstore.server.door.ReservedBuf;
import io.kvstore.server.door.ReplyBuffer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One LMCache client's connection: PUT stores the value under its key (no reply, as LMCache's server), GET answers
 * the reply header with the fmt, dtype and shape PUT stored and then the payload (a DRAM hit straight from the
 * tier's memory), EXIST and HEALTH answer a header, LIST answers 400 (LMCache's server does not implement it either).
 * Requests are answered strictly in order ({@link DoorConnection}). A protocol error is logged in one line and closes
 * the connection; a PUT the store refuses (quota, no room) is logged and counted, since the protocol has no reply
 * for it, and a later GET of that key answers 400.
 */
final class LmConnection extends DoorConnection<LmRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(LmConnection.class);
    static final String DOOR = "lmcache";

    private final NamedValues.Space space;

    LmConnection(DoorContext dc, NamedValues.Space space) {
        super(dc, LmRequest.class);
        this.space = space;
    }

    @Override
    protected boolean inline(LmRequest r) {
        return switch (r.command()) {
            case LmDescriptor.PUT -> false;
            case LmDescriptor.GET -> {
                String tier = dc.values().tierHolding(key(r));
                yield (tier == null || dc.inMemory(tier)) && !dc.values().store().hasSharedTier();
            }
            case LmDescriptor.EXIST -> !dc.values().store().hasSharedTier();
            default -> true;
        };
    }

    @Override
    protected Reply execute(LmRequest r) {
        long t0 = System.nanoTime();
        Reply reply;
        String status = "ok";
        if (r.protocolError() != null) {
            LOG.warn("lm:// client {}: {}; closing the connection", ctx.channel().remoteAddress(), r.protocolError());
            dc.metrics().protocolError("LM_PROTOCOL_ERROR");
            reply = new Reply() {
                @Override
                public void write(ReplyBuffer out) {
                }

                @Override
                public boolean closes() {
                    return true;
                }
            };
            status = "protocol_error";
        } else {
            try {
                switch (r.command()) {
                    case LmDescriptor.PUT -> {
                        NamedValues.Stored st = r.value() instanceof ReservedBuf v // received in place
                                ? dc.values().publish(space, v.reservation())
                                : dc.values().put(space, key(r), r.value().nioBuffer(), NamedValues.Condition.ALWAYS);
                        if (st != NamedValues.Stored.STORED) {
                            LOG.debug("lm:// PUT of '{}' ({} bytes) not stored: {}", r.key(), r.value().readableBytes(),
                                    st);
                            status = st.name().toLowerCase(java.util.Locale.ROOT);
                        }
                        reply = Reply.NONE;
                    }
                    case LmDescriptor.GET -> {
                        reply = get(r.key());
                        status = reply instanceof Value ? "ok" : "miss";
                    }
                    case LmDescriptor.EXIST -> reply = header(dc.values().exists(space, key(r))
                            ? LmDescriptor.SUCCESS : LmDescriptor.FAIL);
                    case LmDescriptor.HEALTH -> reply = header(LmDescriptor.SUCCESS);
                    default -> reply = header(LmDescriptor.FAIL); // LIST
                }
            } catch (RuntimeException e) {
                LOG.warn("lm:// {} of '{}' failed", LmDescriptor.commandName(r.command()), r.key(), e);
                status = "error";
                reply = r.command() == LmDescriptor.PUT ? Reply.NONE : header(LmDescriptor.FAIL);
            }
        }
        dc.metrics().request("lm_" + LmDescriptor.commandName(r.command()), status, System.nanoTime() - t0);
        return reply;
    }

    private Reply get(String key) {
        BlockHandle h = dc.values().get(space, NamedValues.key(space, NamedValues.name(key)));
        if (h == null) {
            return header(LmDescriptor.FAIL);
        }
        ByteBuffer p = h.payload().order(ByteOrder.LITTLE_ENDIAN);
        if (p.remaining() < LmDescriptor.STORED_PREFIX_BYTES
                || p.getInt(0) != p.remaining() - LmDescriptor.STORED_PREFIX_BYTES) {
            h.close(); // not a value this door stored
            return header(LmDescriptor.FAIL);
        }
        return new Value(h);
    }

    /** A reply header without a value. */
    private static Reply header(int code) {
        return out -> out.append(LmDescriptor.REPLY_BYTES).writeIntLE(code).writeIntLE(0)
                .writeIntLE(LmDescriptor.EMPTY_FMT).writeIntLE(LmDescriptor.EMPTY_DTYPE)
                .writeIntLE(0).writeIntLE(0).writeIntLE(0).writeIntLE(0).writeIntLE(0);
    }

    /** A GET hit: the header (from the stored prefix) in one buffer, then the payload, zero-copy. */
    private static final class Value implements Reply {
        private final BlockHandle h;

        Value(BlockHandle h) {
            this.h = h;
        }

        @Override
        public void write(ReplyBuffer out) {
            ByteBuffer p = h.payload();
            ByteBuf head = out.append(LmDescriptor.REPLY_BYTES); // the header in one piece: LMCache reads it with one recv
            head.writeIntLE(LmDescriptor.SUCCESS);
            head.writeBytes(p.duplicate().limit(LmDescriptor.STORED_PREFIX_BYTES)); // length, fmt, dtype, shape0..3
            head.writeIntLE(0); // location
            ByteBuf payload = Unpooled.wrappedBuffer(p.position(LmDescriptor.STORED_PREFIX_BYTES));
            if (payload.isReadable()) {
                out.write(payload).addListener(f -> h.close());
            } else {
                payload.release();
                h.close();
            }
        }

        @Override
        public void discard() {
            h.close();
        }
    }

    private io.kvstore.core.key.BlockKey key(LmRequest r) {
        return NamedValues.key(space, NamedValues.name(r.key()));
    }

    /** A PUT answers nothing: consecutive PUTs of distinct keys may be stored in parallel. */
    @Override
    protected Object independentWrite(LmRequest r) {
        return r.command() == LmDescriptor.PUT && r.protocolError() == null ? r.key() : null;
    }

    @Override
    protected long bytes(LmRequest r) {
        return r.size();
    }

    @Override
    protected void release(LmRequest r) {
        r.release();
    }
}
