package io.kvstore.server.net;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.store.PutReservation;
import io.kvstore.core.store.PutResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.PayloadFrame;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.StatusList;
import io.kvstore.server.door.ReservedBuf;
import io.kvstore.server.events.KvEventPublisher;
import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * PUT: one block per frame, admitted as it arrives (on the blocking pool: admission may demote to a lower
 * tier's media), so that a client that disconnects mid-request keeps the blocks it sent whole. The frame
 * flagged END gets the ack: one put code per block, and whether all stored blocks are durable. A frame flagged
 * SERVER_CHECKSUM (a client without a fast CRC32C, granted in HELLO) has its checksum computed here instead of
 * verified. A frame flagged TOKENS (sent when the server publishes KV events) carries the block's token ids after
 * its header, for the event that announces the block.
 *
 * <p>The blocks of one request may be stored in parallel: a frame's request finishes as soon as its block is handed
 * to the pool, so the connection goes on to the next frame while up to {@code putBlocksInFlight} blocks (and at most
 * the connection's in-flight byte budget) are being stored; beyond that the frame waits for one to complete. Above
 * 1, one writer keeps several pool threads busy instead of paying two thread hand-offs per block in series; the
 * price is that blocks in flight together reach the policies in the order their threads get there, not always in
 * frame order, which is why the default is 1 (docs/architecture.md). The END
 * frame is answered when every block has completed, with the codes in frame order; a block that failed makes that
 * answer the error (the blocks stored are kept).
 */
final class PutHandler implements OpHandler {

    /** The open PUT requests of a connection, by request id. Used on the connection's event loop only. */
    static final class PutState {
        private byte[] codes = new byte[16];
        private int issued;
        private int completed;
        private long bytesInFlight;
        boolean durable = true;
        boolean persisted;
        /** An error was answered (BUSY, a limit): the request's remaining frames are ignored. */
        boolean failed;
        /** The first block that failed in the store, answered at END instead of the ack. */
        private String storeError;
        /** A frame held until a block in flight completes (back-pressure on this connection). */
        private Request waiting;
        /** The END frame, answered when every block has completed. */
        private Request end;

        private int inFlight() {
            return issued - completed;
        }

        @Override
        public String toString() {
            return "PUT blocks issued " + issued + ", completed " + completed + ", " + bytesInFlight
                    + " bytes in flight" + (waiting != null ? ", a frame waits for a block to complete" : "")
                    + (end != null ? ", END waits for the blocks in flight" : "") + (failed ? ", failed" : "");
        }
    }

    /** Token ids one PUT frame may carry. */
    static final int MAX_TOKENS_PER_BLOCK = 1 << 16;

    /** More concurrently open PUT requests than this on one connection is LIMIT_EXCEEDED. */
    static final int MAX_OPEN_PUTS = 16;

    @Override
    public int allowedFlags() {
        return FrameDescriptor.FLAG_END | FrameDescriptor.FLAG_ACK_PERSISTED | FrameDescriptor.FLAG_SERVER_CHECKSUM
                | FrameDescriptor.FLAG_TOKENS;
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
        if (state.issued >= r.sc.limits().maxKeysPerRequest()) {
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
        int[] tokens = null;
        try {
            if (r.frame.hasFlag(FrameDescriptor.FLAG_TOKENS)) {
                ByteBuf body = r.body();
                meta = Wire.readBlockHeaderOnly(body, r.session().namespaceId);
                tokens = readTokenIds(body, meta, r.session());
                Wire.checkPayloadLength(meta, body, " after the token ids");
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
        int seq = state.issued++;
        state.bytesInFlight += meta.length();
        ByteBuf payload = r.body().retain(); // the frame is released when this request finishes, before the put
        KvEventPublisher events = r.sc.events();
        int[] tokenIds = tokens;
        int blockSize = r.session().namespace.layout().tokensPerBlock();
        PutReservation reserved = r.frame instanceof PayloadFrame pf && pf.payload() instanceof ReservedBuf rb
                ? rb.reservation() : null;
        r.offload(() -> events == null ? store(r, meta, payload, serverChecksum, reserved)
                : events.withTokens(meta.key(), tokenIds, blockSize,
                        () -> store(r, meta, payload, serverChecksum, reserved)), (res, err) -> {
            payload.release();
            completed(r, state, seq, meta, tenant, res, err);
        });
        if (r.finished()) { // the pool was full: BUSY was answered, the rest of the request is ignored
            payload.release();
            state.issued--;
            state.bytesInFlight -= meta.length();
            r.sc.quotas().release(tenant, meta.length());
            failRequest(r, state, end);
            return;
        }
        if (end) {
            state.end = r;
        } else if (state.inFlight() < r.sc.config().putBlocksInFlight()
                && state.bytesInFlight < r.sc.config().maxInFlightBytesPerConnection()) {
            r.finish();
        } else {
            state.waiting = r;
        }
    }

    /** A block's put completed (on the event loop): record its code, release a waiting frame, answer END. */
    private static void completed(Request r, PutState state, int seq, BlockMeta meta, String tenant, PutResult res,
                                  Throwable err) {
        state.completed++;
        state.bytesInFlight -= meta.length();
        if (err != null || res.status() != PutStatus.STORED) {
            r.sc.quotas().release(tenant, meta.length());
        }
        if (err != null) {
            if (state.storeError == null) {
                state.storeError = "storing block " + meta.key().shortHex() + ": " + err;
            }
        } else {
            if (seq >= state.codes.length) {
                state.codes = Arrays.copyOf(state.codes, Math.max(seq + 1, state.codes.length * 2));
            }
            state.codes[seq] = (byte) WireCodes.put(res.status()).code();
            if (res.status() == PutStatus.STORED || res.status() == PutStatus.ALREADY_PRESENT) {
                state.durable &= res.tier() != null && r.sc.durable(res.tier());
            }
        }
        Request w = state.waiting;
        if (w != null) {
            state.waiting = null;
            w.finish();
        }
        Request e = state.end;
        if (e != null && state.inFlight() == 0) {
            state.end = null;
            e.conn.puts.remove(e.frame.requestId());
            if (state.storeError != null) {
                e.fail(ErrorCode.INTERNAL, state.storeError);
            } else {
                ack(e, state);
            }
        }
    }

    /**
     * Stores one block: publishes it if its payload was received into a store reservation ({@link PutPayloads}),
     * else puts it. With FLAG_SERVER_CHECKSUM the checksum is computed here from the bytes as they arrived (the
     * client's field is ignored), so the store need not verify it a second time; TCP's own checksum covered the way
     * here.
     */
    private static PutResult store(Request r, BlockMeta sent, ByteBuf body, boolean serverChecksum,
                                   PutReservation reserved) {
        if (reserved != null && sameBlock(reserved.meta(), sent)) {
            return reserved.publish(); // received in place: verified (or checksummed) as it arrived
        }
        if (reserved != null) { // reserved under other metadata (a HELLO changed the namespace meanwhile): undo it
            reserved.abort();
        }
        ByteBuffer payload = body.nioBuffer();
        if (!serverChecksum) {
            return r.sc.store().put(sent, payload);
        }
        BlockMeta meta = new BlockMeta(sent.key(), sent.parent(), sent.position(), sent.namespaceId(),
                sent.layoutId(), sent.length(), Checksums.crc32c(payload));
        return r.sc.store().put(meta, payload, true);
    }

    /**
     * The token ids that follow {@code meta}'s header in a PUT or SHM_PUT flagged TOKENS: exactly a block's worth
     * of the session's namespace, else MALFORMED.
     */
    static int[] readTokenIds(ByteBuf body, BlockMeta meta, Session session) {
        int[] tokens = Wire.readTokenIds(body, MAX_TOKENS_PER_BLOCK);
        int perBlock = session.namespace.layout().tokensPerBlock();
        if (tokens.length != perBlock) {
            throw new ProtocolException(ErrorCode.MALFORMED, "block " + meta.key().shortHex() + " carries "
                    + tokens.length + " token ids; a block of this namespace has " + perBlock);
        }
        return tokens;
    }

    /** True if a reservation made from a frame's head is for the block the frame carries (checksum aside). */
    private static boolean sameBlock(BlockMeta reserved, BlockMeta sent) {
        return reserved.key().equals(sent.key()) && reserved.parent().equals(sent.parent())
                && reserved.position() == sent.position() && reserved.namespaceId() == sent.namespaceId()
                && reserved.layoutId() == sent.layoutId() && reserved.length() == sent.length();
    }

    private static void failRequest(Request r, PutState state, boolean end) {
        if (end) {
            r.conn.puts.remove(r.frame.requestId());
        } else {
            state.failed = true;
        }
    }

    private static void ack(Request r, PutState state) {
        ByteBuf out = r.ctx().alloc().buffer(5 + state.issued);
        new StatusList(Arrays.copyOf(state.codes, state.issued)).write(out);
        out.writeByte(state.persisted && state.durable ? 1 : 0);
        r.reply(out);
    }
}
