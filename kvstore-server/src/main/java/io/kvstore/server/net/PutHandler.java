package io.kvstore.server.net;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.store.PutResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.PutCodes;
import io.kvstore.protocol.body.StatusList;
import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * PUT: one block per frame, admitted as it arrives (on the blocking pool: admission may demote to a lower
 * tier's media), so that a client that disconnects mid-request keeps the blocks it sent whole. The frame
 * flagged END gets the ack: one put code per block, and whether all stored blocks are durable. A frame flagged
 * SERVER_CHECKSUM (a client without a fast CRC32C, granted in HELLO) has its checksum computed here instead of
 * verified.
 */
final class PutHandler implements OpHandler {

    /** The open PUT requests of a connection, by request id. */
    static final class PutState {
        final ByteArrayOutputStream codes = new ByteArrayOutputStream();
        boolean durable = true;
        boolean persisted;
        boolean failed;
    }

    /** More concurrently open PUT requests than this on one connection is LIMIT_EXCEEDED. */
    static final int MAX_OPEN_PUTS = 16;

    @Override
    public int allowedFlags() {
        return FrameDescriptor.FLAG_END | FrameDescriptor.FLAG_ACK_PERSISTED | FrameDescriptor.FLAG_SERVER_CHECKSUM;
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
        boolean serverChecksum = r.frame.hasFlag(FrameDescriptor.FLAG_SERVER_CHECKSUM);
        if (serverChecksum && !r.session().serverChecksum) {
            failRequest(r, state, end);
            r.fail(ErrorCode.MALFORMED, "PUT flag SERVER_CHECKSUM (0x10) needs feature 0x02 in HELLO, which this "
                    + "session did not ask for");
            return;
        }
        BlockMeta meta;
        try {
            meta = Wire.readBlockHeader(r.body(), r.session().namespaceId);
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
        r.offload(() -> serverChecksum ? putComputingChecksum(r, meta, payload.nioBuffer())
                : r.sc.store().put(meta, payload.nioBuffer()), (res, err) -> {
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

    /**
     * FLAG_SERVER_CHECKSUM: the checksum is computed here from the bytes as they arrived (the client's field is
     * ignored), so the store need not verify it a second time. TCP's own checksum covered the way here.
     */
    private static PutResult putComputingChecksum(Request r, BlockMeta sent, ByteBuffer payload) {
        BlockMeta meta = new BlockMeta(sent.key(), sent.parent(), sent.position(), sent.namespaceId(),
                sent.layoutId(), sent.length(), Checksums.crc32c(payload));
        return r.sc.store().put(meta, payload, true);
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
