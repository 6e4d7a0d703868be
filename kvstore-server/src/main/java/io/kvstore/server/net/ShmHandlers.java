package io.kvstore.server.net;

import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.SharedMemoryExport;
import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.LookupResult;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.ShmGetReply;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared-memory opcodes (docs/protocol.md): SHM_ATTACH checks the nonce, SHM_GET leases the DRAM-resident
 * prefix and answers where it lies, SHM_RELEASE ends a lease. Every one answers SHM_DENIED when the session was
 * not offered shared memory (HELLO) or has not attached.
 */
final class ShmHandlers {

    private ShmHandlers() {
    }

    /** SHM_ATTACH: {@code str nonce} → empty. */
    static final class Attach implements OpHandler {
        @Override
        public int allowedFlags() {
            return 0;
        }

        @Override
        public void handle(Request r) {
            ShmLeases shm = r.sc.shm();
            if (shm == null || !r.session().shmOffered) {
                r.fail(ErrorCode.SHM_DENIED, "shared memory is not offered to this session (it needs "
                        + "dramSharedMemoryDir on the server, a loopback connection and HELLO feature 0x01)");
                return;
            }
            String nonce = Wire.readString(r.body(), 256, "nonce");
            if (!shm.nonceMatches(nonce.getBytes(StandardCharsets.US_ASCII))) {
                r.fail(ErrorCode.SHM_DENIED, "wrong nonce: the client cannot read " + shm.directory()
                        .resolve(ShmLeases.TOKEN_FILE) + " (another host or user)");
                return;
            }
            r.session().shmAttached = true;
            r.reply(r.ctx().alloc().buffer(0));
        }
    }

    /** SHM_GET: {@code u32 leaseMillis, key list} → {@link ShmGetReply}. */
    static final class Get implements OpHandler {
        @Override
        public int allowedFlags() {
            return 0;
        }

        @Override
        public void handle(Request r) {
            ShmLeases shm = attached(r);
            if (shm == null) {
                return;
            }
            Wire.need(r.body(), 4, "leaseMillis");
            long askedMillis = r.body().readUnsignedInt();
            List<BlockKey> keys = Wire.readKeys(r.body(), r.sc.limits().maxKeysPerRequest(), "keys");
            long maxMillis = Math.max(1, r.sc.config().maxLeaseMillis());
            long millis = askedMillis == 0 ? maxMillis : Math.min(askedMillis, maxMillis);
            long ns = r.session().namespaceId;
            Tier tier = shm.tier();
            LookupResult hit = r.sc.store().lookup(ns, keys, 0);
            List<BlockHandle> handles = new ArrayList<>();
            List<ShmGetReply.Location> out = new ArrayList<>();
            boolean more = false;
            try {
                for (int i = 0; i < hit.hitBlocks(); i++) {
                    if (!tier.name().equals(hit.tiers().get(i))) {
                        more = true; // cached in another tier: the client GETs the rest over TCP
                        break;
                    }
                    GetResult g = r.sc.store().getIf(ns, keys.get(i), tier.name()::equals);
                    if (g.elsewhere()) {
                        more = true; // moved out of the shared arena since the lookup: the rest over TCP
                        break;
                    }
                    if (!g.isHit()) {
                        r.sc.metrics().missed(ns);
                        break;
                    }
                    BlockHandle h = g.handle();
                    SharedMemoryExport.Location loc = tier.name().equals(g.tier())
                            ? shm.export().locate(h.payload()) : null;
                    if (loc == null) {
                        h.close();
                        more = true;
                        break;
                    }
                    handles.add(h);
                    out.add(new ShmGetReply.Location(h.meta(), loc.file().getFileName().toString(), loc.offset()));
                    r.sc.metrics().served(g.tier(), ns, h.meta().length());
                }
            } catch (RuntimeException e) {
                handles.forEach(BlockHandle::close);
                throw e;
            }
            if (hit.hitBlocks() < keys.size() && !more) {
                r.sc.metrics().missed(ns);
            }
            long lease = handles.isEmpty() ? 0 : shm.grant(r.conn, handles, millis * 1_000_000L);
            ByteBuf body = r.ctx().alloc().buffer(16 + out.size() * 120);
            new ShmGetReply(lease, more, out).write(body);
            r.reply(body);
        }
    }

    /** SHM_RELEASE: {@code u64 leaseId} → {@code u8 released}. */
    static final class Release implements OpHandler {
        @Override
        public int allowedFlags() {
            return 0;
        }

        @Override
        public void handle(Request r) {
            ShmLeases shm = attached(r);
            if (shm == null) {
                return;
            }
            Wire.need(r.body(), 8, "leaseId");
            boolean ok = shm.release(r.conn, r.body().readLong());
            r.reply(r.ctx().alloc().buffer(1).writeByte(ok ? 1 : 0));
        }
    }

    /** The leases if the session attached shared memory; else answers SHM_DENIED and returns null. */
    static ShmLeases attached(Request r) {
        ShmLeases shm = r.sc.shm();
        if (shm == null || !r.session().shmAttached) {
            r.fail(ErrorCode.SHM_DENIED, "this session has not attached shared "
                    + "memory (HELLO feature 0x01, then SHM_ATTACH)");
            return null;
        }
        return shm;
    }
}
