package io.kvstore.server.net;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.store.PutReservation;
import io.kvstore.protocol.BlockDescriptor;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.PayloadTargets;
import io.kvstore.protocol.Wire;
import io.kvstore.server.door.ReservedBuf;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Where a connection's large PUT payloads are received: memory the store reserves for the block
 * ({@link io.kvstore.core.store.TieredStore#reserve}), so that the socket reads land in the tier the block will live
 * in and {@link PutHandler} publishes it instead of copying it in. Taken: PUT frames of an open session without
 * token ids. The reservation (admission, room) is made on the event loop when it needs no wait ({@link
 * io.kvstore.core.store.TieredStore#tryReserve}: room at once, or victims handed to the demoters), which keeps the
 * socket read going block after block; else on the blocking pool while the decoder waits. Anything that does not
 * fit that picture (a header that does not parse, a length that disagrees with the frame, a SERVER_CHECKSUM flag the
 * session did not ask for, a refusal by the store, a full pool) gets no reservation: the payload is then gathered in
 * a pooled buffer and {@link PutHandler} answers as it always did.
 *
 * <p>A reservation is ahead of the checks {@link PutHandler} makes on the frame (quota, request limits): a frame
 * they refuse releases its buffer, which aborts the reservation. A tenant already too close to its quota for the
 * block gets no reservation, so that it cannot make the store move other blocks for a block it may not store.
 * Event loop, except a reservation that has to wait.
 */
final class PutPayloads implements PayloadTargets {

    private final ServerContext sc;
    private final Session session;

    PutPayloads(ServerContext sc, Session session) {
        this.sc = sc;
        this.session = session;
    }

    @Override
    public int headBytes(int opcode, int flags) {
        return opcode == Opcode.PUT.code() && (flags & FrameDescriptor.FLAG_TOKENS) == 0 && session.open()
                ? BlockDescriptor.BYTES : 0;
    }

    @Override
    public void open(ChannelHandlerContext ctx, int opcode, int flags, ByteBuf head, int payloadBytes,
                     Consumer<ByteBuf> done) {
        boolean serverChecksum = (flags & FrameDescriptor.FLAG_SERVER_CHECKSUM) != 0;
        BlockMeta meta;
        try {
            meta = Wire.readBlockHeaderOnly(head, session.namespaceId);
        } catch (RuntimeException malformed) {
            done.accept(null); // PutHandler answers it
            return;
        }
        String tenant = session.namespace.tenant();
        long quota = sc.quotas().quotaOf(tenant);
        if (meta.length() != payloadBytes || serverChecksum && !session.serverChecksum
                || quota >= 0 && sc.quotas().usedBy(tenant) + meta.length() > quota) {
            done.accept(null); // PutHandler answers it (a tenant over its quota makes no room in the store)
            return;
        }
        PutReservation.Checksum mode = serverChecksum ? PutReservation.Checksum.COMPUTE : PutReservation.Checksum.VERIFY;
        PutReservation now = sc.store().tryReserve(meta, mode); // on this event loop if it needs no wait
        if (now != null) {
            done.accept(target(now));
            return;
        }
        try {
            sc.blocking().execute(() -> {
                ByteBuf target = null;
                try {
                    target = reserve(meta, mode);
                } finally {
                    done.accept(target);
                }
            });
        } catch (RejectedExecutionException full) {
            done.accept(null);
        }
    }

    private static final Consumer<PutReservation> ABORT = PutReservation::abort;

    private ByteBuf reserve(BlockMeta meta, PutReservation.Checksum mode) {
        return target(sc.store().reserve(meta, mode));
    }

    /** The buffer a granted reservation is received into, or null (refused, or not direct memory). */
    private static ByteBuf target(PutReservation r) {
        if (r.refusal() != null) {
            return null;
        }
        if (!r.buffer().isDirect()) {
            r.abort();
            return null;
        }
        return new ReservedBuf(r, 0, ABORT);
    }
}
