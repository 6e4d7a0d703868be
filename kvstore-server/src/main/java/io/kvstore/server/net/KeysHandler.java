package io.kvstore.server.net;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.TieredStore;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.KeyOutcome;
import io.kvstore.protocol.body.StatusList;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * EXISTS, DELETE, PIN and UNPIN: a key list in, one {@link KeyOutcome} per key out. One instance per opcode.
 * DELETE may touch a lower tier's media, so it runs on the blocking pool; the others only touch the directory.
 */
final class KeysHandler implements OpHandler {

    private final Opcode op;

    KeysHandler(Opcode op) {
        this.op = op;
    }

    @Override
    public int allowedFlags() {
        return 0;
    }

    @Override
    public void handle(Request r) {
        List<BlockKey> keys = Wire.readKeys(r.body(), r.sc.limits().maxKeysPerRequest(), "keys");
        long ns = r.session().namespaceId;
        TieredStore store = r.sc.store();
        // DELETE removes from tiers (I/O); EXISTS may ask a shared tier (network): both leave the event loop
        if (op == Opcode.DELETE || (op == Opcode.EXISTS && store.hasSharedTier())) {
            r.offload(() -> apply(store, ns, keys), (codes, err) -> answer(r, codes, err));
        } else {
            answer(r, apply(store, ns, keys), null);
        }
    }

    private byte[] apply(TieredStore store, long ns, List<BlockKey> keys) {
        byte[] codes = new byte[keys.size()];
        for (int i = 0; i < codes.length; i++) {
            BlockKey k = keys.get(i);
            KeyOutcome o = switch (op) {
                case EXISTS -> store.contains(ns, k) ? KeyOutcome.PRESENT : KeyOutcome.NOT_FOUND;
                case DELETE -> WireCodes.key(store.delete(ns, k));
                case PIN -> WireCodes.key(store.pin(ns, k));
                case UNPIN -> WireCodes.key(store.unpin(ns, k));
                default -> throw new IllegalStateException(op.name());
            };
            codes[i] = (byte) o.code();
        }
        return codes;
    }

    private static void answer(Request r, byte[] codes, Throwable err) {
        if (err != null) {
            r.fail(io.kvstore.protocol.ErrorCode.INTERNAL, err.toString());
            return;
        }
        ByteBuf out = r.ctx().alloc().buffer(4 + codes.length);
        new StatusList(codes).write(out);
        r.reply(out);
    }
}
