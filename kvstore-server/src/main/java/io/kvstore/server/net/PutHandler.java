package io.kvstore.server.net;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.store.PutStatus;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.PutCodes;
import io.kvstore.protocol.body.StatusList;
import io.kvstore.server.events.KvEventPublisher;
import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;

/**
 * PUT: one block per frame, admitted as it arrives (on the blocking pool: admission may demote to a lower
 * tier's media), so that a client that disconnects mid-request keeps the blocks it sent whole. The frame
 * flagged END gets the ack: one put code per block, and whether all stored blocks are durable.
 */
final class PutHandler implements OpHandler {

    /** The open PUT requests of a connection, by request id. */
    static final class PutState {
        final ByteArrayOutputStream codes = new ByteArrayOutputStream();
        boolean durable = true;
        boolean persisted;
        boolean failed;
    }

    /** Token ids one PUT frame may carry. */
    static final int MAX_TOKENS_PER_BLOCK = 1 << 16;

    /** More concurrently open PUT requests than this on one connection is LIMIT_EXCEEDED. */
    static final int MAX_OPEN_PUTS = 16;

    @Override
    public int allowedFlags() {
        return FrameDescriptor.FLAG_END | FrameDescriptor.FLAG_ACK_PERSISTED | FrameDescriptor.FLAG_TOKENS;
    }

    @Override
    public void handle(Request r) {
        long id = r.frame.requestId();
        boolean end = r.frame.hasFlag(FrameDescriptor.FLAG_END);
        PutState st = r.conn.puts.get(id);
        if (st == null) {
            if (r.conn.puts.size() >= MAX_OPEN_PUTS) {
                r.fail(ErrorCode.LIMIT_EXCEEDED, "more than " + MAX_OPEN_PUTS + " open PUT requests on a connection");
                return;
            }
            st = new PutState();
            r.conn.puts.put(id, st);
        }
        PutState state = st;
        state.persisted |= r.frame.hasFlag(FrameDescriptor.FLAG_ACK_PERSISTED);
        if (state.failed) {
            // an error was already answered for this request: ignore its frames up to END
            if (end) {
                r.conn.puts.remove(id);
            }
            r.finish();
            return;
        }
        if (state.codes.size() >= r.sc.limits().maxKeysPerRequest()) {
            failRequest(r, state, end);
            r.fail(ErrorCode.LIMIT_EXCEEDED, "PUT request has more than " + r.sc.limits().maxKeysPerRequest()
                    + " blocks");
            return;
        }
        BlockMeta meta;
        int[] tokens = null;
        try {
            if (r.frame.hasFlag(FrameDescriptor.FLAG_TOKENS)) {
                ByteBuf body = r.body();
                meta = Wire.readBlockHeaderOnly(body, r.session().namespaceId);
                tokens = Wire.readTokenIds(body, MAX_TOKENS_PER_BLOCK);
                int perBlock = r.session().namespace.layout().tokensPerBlock();
                if (tokens.length != perBlock) {
                    throw new ProtocolException(ErrorCode.MALFORMED, "block " + meta.key().shortHex() + " carries "
                            + tokens.length + " token ids; a block of this namespace has " + perBlock);
                }
                if (meta.length() != body.readableBytes()) {
                    throw new ProtocolException(ErrorCode.MALFORMED, "block length field says " + meta.length()
                            + " bytes, the frame carries " + body.readableBytes() + " after the token ids");
                }
            } else {
                meta = Wire.readBlockHeader(r.body(), r.session().namespaceId);
            }
        } catch (RuntimeException e) {
            failRequest(r, state, end);
            throw e;
        }
        String tenant = r.session().namespace.tenant();
        if (!r.sc.quotas().reserve(tenant, meta.length())) {
            failRequest(r, state, end);
            r.fail(ErrorCode.QUOTA_EXCEEDED, "tenant '" + tenant + "' holds " + r.sc.quotas().usedBy(tenant)
                    + " bytes of its quota " + r.sc.quotas().quotaOf(tenant) + "; block " + meta.key().shortHex()
                    + " (" + meta.length() + " bytes) not stored, the blocks already stored are kept");
            return;
        }
        ByteBuf payload = r.body();
        KvEventPublisher events = r.sc.events();
        int[] tokenIds = tokens;
        int blockSize = r.session().namespace.layout().tokensPerBlock();
        r.offload(() -> events == null ? r.sc.store().put(meta, payload.nioBuffer())
                : events.withTokens(meta.key(), tokenIds, blockSize, () -> r.sc.store().put(meta, payload.nioBuffer())),
                (res, err) -> {
            if (err != null || res.status() != PutStatus.STORED) {
                r.sc.quotas().release(tenant, meta.length());
            }
            if (err != null) {
                failRequest(r, state, end);
                r.fail(ErrorCode.INTERNAL, "storing block " + meta.key().shortHex() + ": " + err);
                return;
            }
            state.codes.write(PutCodes.code(res.status()));
            if (res.status() == PutStatus.STORED || res.status() == PutStatus.ALREADY_PRESENT) {
                state.durable &= res.tier() != null && r.sc.durable(res.tier());
            }
            if (end) {
                ack(r, state);
            } else {
                r.finish();
            }
        });
        if (r.finished()) {
            r.sc.quotas().release(tenant, meta.length());
            failRequest(r, state, end); // the pool was full: BUSY was answered, the rest of the request is ignored
        }
    }

    private static void failRequest(Request r, PutState state, boolean end) {
        if (end) {
            r.conn.puts.remove(r.frame.requestId());
        } else {
            state.failed = true;
        }
    }

    private static void ack(Request r, PutState state) {
        r.conn.puts.remove(r.frame.requestId());
        byte[] codes = state.codes.toByteArray();
        ByteBuf out = r.ctx().alloc().buffer(5 + codes.length);
        new StatusList(codes).write(out);
        out.writeByte(state.persisted && state.durable ? 1 : 0);
        r.reply(out);
    }
}
