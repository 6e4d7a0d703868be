package io.kvstore.server.net;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.store.PutReservation;
import io.kvstore.core.store.PutResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.tier.SharedMemoryExport;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.ShmPutReply;
import io.kvstore.protocol.body.StatusList;
import io.kvstore.server.auth.TenantQuotas;
import io.kvstore.server.events.KvEventPublisher;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * Same-host shared-memory writes (docs/protocol.md, "Writes"): a PUT whose bytes never cross a socket.
 *
 * <p>SHM_PUT carries the blocks' headers only. On the blocking pool, each block is reserved in the shared DRAM tier
 * exactly as a PUT received in place reserves it ({@link io.kvstore.core.store.TieredStore#reserve(BlockMeta,
 * PutReservation.Checksum, String) reserve} from that tier down: admission, room made by demotion), and the answer
 * says where each reserved payload lies in the arena files the client has mapped. The client copies its bytes there
 * (one memory copy, from its own buffer or a device's staging buffer, instead of a send, a receive and a copy) and
 * sends SHM_COMMIT, which verifies each block's CRC32C over the bytes in place (or computes it, with
 * SERVER_CHECKSUM) and publishes them; until then they are invisible. A block the shared tier will not reserve
 * (its admission refuses it, or it has no room and the block goes to a tier below) is answered SEND: the client
 * puts it over the socket.
 *
 * <p>The reservations of one SHM_PUT are a write lease in {@link ShmLeases}: a connection that closes, or a lease
 * that outlives {@code maxLeaseMillis}, aborts them (memory and key given back, quota released). The bytes reserved
 * by one connection's open SHM_PUTs are bounded by {@code maxInFlightBytesPerConnection}, as a PUT's in-flight
 * bytes are.
 *
 * <p>Trust: a client that may map the arena (it read the nonce file: this OS user on this host) can write anywhere
 * in it; the checksums verified at commit and on every shared-memory read catch accidents, not malice. This is
 * why shared memory is offered only to sessions whose token may read every tenant.
 */
final class ShmPutHandlers {

    private ShmPutHandlers() {
    }

    /** One reserved block: closing it aborts the reservation and gives the tenant's quota back. */
    private record Reserved(PutReservation reservation, BlockMeta meta, int[] tokens, TenantQuotas quotas,
                            String tenant) implements AutoCloseable {
        @Override
        public void close() {
            if (reservation.isOpen()) {
                reservation.abort();
                quotas.release(tenant, meta.length());
            }
        }
    }

    /** A block of the request, as parsed on the event loop. */
    private record Wanted(BlockMeta meta, int[] tokens) {
    }

    /** SHM_PUT: {@code u32 n, n x (block header [, token ids])} → {@link ShmPutReply}. */
    static final class Put implements OpHandler {
        @Override
        public int allowedFlags() {
            return FrameDescriptor.FLAG_SERVER_CHECKSUM | FrameDescriptor.FLAG_TOKENS;
        }

        @Override
        public void handle(Request r) {
            ShmLeases shm = ShmHandlers.attached(r);
            if (shm == null) {
                return;
            }
            boolean serverChecksum = r.frame.hasFlag(FrameDescriptor.FLAG_SERVER_CHECKSUM);
            if (serverChecksum && !r.session().serverChecksum) {
                r.fail(ErrorCode.MALFORMED, "SHM_PUT flag SERVER_CHECKSUM (0x10) needs feature 0x02 in HELLO, which "
                        + "this session did not ask for");
                return;
            }
            List<Wanted> wanted = parse(r);
            long bytes = 0;
            for (Wanted w : wanted) {
                bytes += w.meta().length();
            }
            long limit = r.sc.config().maxInFlightBytesPerConnection();
            long held = shm.bytesHeldBy(r.conn);
            if (held + bytes > limit) {
                r.fail(ErrorCode.LIMIT_EXCEEDED, "SHM_PUT of " + bytes + " bytes on top of " + held + " bytes already"
                        + " reserved by this connection's open SHM_PUTs exceeds maxInFlightBytesPerConnection ("
                        + limit + "); commit those first or send fewer blocks at once");
                return;
            }
            PutReservation.Checksum mode = serverChecksum ? PutReservation.Checksum.COMPUTE
                    : PutReservation.Checksum.VERIFY;
            String tenant = r.session().namespace.tenant();
            TenantQuotas quotas = r.sc.quotas();
            List<ShmPutReply.Slot> slots = new ArrayList<>(wanted.size());
            List<Reserved> reserved = new ArrayList<>(wanted.size());
            r.offload(() -> {
                try {
                    for (Wanted w : wanted) {
                        slots.add(reserve(r, shm, mode, tenant, w, reserved));
                    }
                } catch (RuntimeException | Error e) {
                    reserved.forEach(Reserved::close);
                    throw e;
                }
                return null;
            }, (ignored, err) -> {
                if (err != null) {
                    r.fail(ErrorCode.INTERNAL, "SHM_PUT: " + err);
                    return;
                }
                if (!r.ctx().channel().isActive()) { // the connection left meanwhile: nobody will write or commit
                    reserved.forEach(Reserved::close);
                    r.finish();
                    return;
                }
                long reservedBytes = 0;
                for (Reserved x : reserved) {
                    reservedBytes += x.meta().length();
                }
                long millis = Math.max(1, r.sc.config().maxLeaseMillis());
                long id = reserved.isEmpty() ? 0 : shm.grant(r.conn, reserved, reservedBytes, millis * 1_000_000L);
                ByteBuf body = r.ctx().alloc().buffer(12 + slots.size() * 64);
                new ShmPutReply(id, slots).write(body);
                r.reply(body);
            });
        }

        private static List<Wanted> parse(Request r) {
            ByteBuf in = r.body();
            int n = Wire.readCount(in, r.sc.limits().maxKeysPerRequest(), "blocks");
            boolean withTokens = r.frame.hasFlag(FrameDescriptor.FLAG_TOKENS);
            List<Wanted> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                BlockMeta m = Wire.readBlockHeaderOnly(in, r.session().namespaceId);
                int[] tokens = null;
                if (withTokens) {
                    tokens = PutHandler.readTokenIds(in, m, r.session());
                }
                out.add(new Wanted(m, tokens));
            }
            if (in.isReadable()) {
                throw new ProtocolException(ErrorCode.MALFORMED, in.readableBytes() + " bytes after the last block "
                        + "header of SHM_PUT");
            }
            return out;
        }

        /** Reserves one block in the shared tier (on the blocking pool) and says what the client does with it. */
        private static ShmPutReply.Slot reserve(Request r, ShmLeases shm, PutReservation.Checksum mode, String tenant,
                                                Wanted w, List<Reserved> reserved) {
            if (!r.sc.quotas().reserve(tenant, w.meta().length())) {
                return ShmPutReply.Slot.send(); // the PUT over the socket answers QUOTA_EXCEEDED with the details
            }
            PutReservation res = r.sc.store().reserve(w.meta(), mode, shm.tier().name());
            if (res.refusal() != null) {
                r.sc.quotas().release(tenant, w.meta().length());
                return ShmPutReply.Slot.done(WireCodes.put(res.refusal().status()));
            }
            SharedMemoryExport.Location loc = shm.tier().name().equals(res.tier())
                    ? shm.export().locate(res.buffer()) : null;
            if (loc == null) { // reserved below the shared tier: the client sends it over the socket
                res.abort();
                r.sc.quotas().release(tenant, w.meta().length());
                return ShmPutReply.Slot.send();
            }
            reserved.add(new Reserved(res, w.meta(), w.tokens(), r.sc.quotas(), tenant));
            return ShmPutReply.Slot.write(loc.file().getFileName().toString(), loc.offset());
        }
    }

    /**
     * SHM_COMMIT: {@code u64 putId, u8 abort} → {@code StatusList} (one put code per WRITE block of the SHM_PUT,
     * in order) and {@code u8 durable} (with ACK_PERSISTED: every stored block is in a durable tier), as a PUT's ack.
     */
    static final class Commit implements OpHandler {
        @Override
        public int allowedFlags() {
            return FrameDescriptor.FLAG_ACK_PERSISTED;
        }

        @Override
        public void handle(Request r) {
            ShmLeases shm = ShmHandlers.attached(r);
            if (shm == null) {
                return;
            }
            Wire.need(r.body(), 9, "putId, abort");
            long id = r.body().readLong();
            boolean abort = r.body().readUnsignedByte() != 0;
            List<Reserved> blocks = shm.take(r.conn, id, Reserved.class);
            if (blocks == null) {
                r.fail(ErrorCode.MALFORMED, "SHM_COMMIT of unknown putId " + id + ": committed or aborted already, "
                        + "expired (older than maxLeaseMillis " + r.sc.config().maxLeaseMillis() + " ms), or "
                        + "reserved on another connection; its blocks are not stored, PUT them again");
                return;
            }
            if (abort) {
                blocks.forEach(Reserved::close);
                ByteBuf out = r.ctx().alloc().buffer(5);
                new StatusList(new byte[0]).write(out);
                r.reply(out.writeByte(0));
                return;
            }
            boolean persisted = r.frame.hasFlag(FrameDescriptor.FLAG_ACK_PERSISTED);
            KvEventPublisher events = r.sc.events();
            int blockSize = r.session().namespace.layout().tokensPerBlock();
            byte[] codes = new byte[blocks.size()];
            boolean[] durable = {true};
            r.offload(() -> {
                for (int i = 0; i < blocks.size(); i++) {
                    Reserved b = blocks.get(i);
                    PutResult res;
                    try {
                        res = events == null || b.tokens() == null ? b.reservation().publish()
                                : events.withTokens(b.meta().key(), b.tokens(), blockSize, b.reservation()::publish);
                    } catch (RuntimeException e) {
                        b.close();
                        res = new PutResult(PutStatus.FAILED, null);
                    }
                    if (res.status() != PutStatus.STORED) {
                        b.quotas().release(b.tenant(), b.meta().length());
                    } else {
                        durable[0] &= res.tier() != null && r.sc.durable(res.tier());
                    }
                    codes[i] = (byte) WireCodes.put(res.status()).code();
                }
                return null;
            }, (ignored, err) -> {
                if (err != null) {
                    r.fail(ErrorCode.INTERNAL, "SHM_COMMIT: " + err);
                    return;
                }
                ByteBuf out = r.ctx().alloc().buffer(5 + codes.length);
                new StatusList(codes).write(out);
                r.reply(out.writeByte(persisted && durable[0] ? 1 : 0));
            });
            if (r.finished()) { // BUSY: the pool did not take the work; nothing was published
                blocks.forEach(Reserved::close);
            }
        }
    }
}
