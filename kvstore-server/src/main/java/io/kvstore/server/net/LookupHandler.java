package io.kvstore.server.net;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.LookupResult;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.body.LookupReply;
import io.kvstore.protocol.body.LookupRequest;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.RejectedExecutionException;

/**
 * LOOKUP: the store's directory answers on the event loop, lock-free (no tier is touched); with a shared tier,
 * whose blocks are asked over the network on a directory miss, the lookup runs on the blocking pool instead. With PREFETCH, hit blocks below
 * the top tier are promoted on the blocking pool after the answer is sent, best effort (dropped when the pool is
 * full).
 */
final class LookupHandler implements OpHandler {

    @Override
    public int allowedFlags() {
        return FrameDescriptor.FLAG_LEASE | FrameDescriptor.FLAG_PREFETCH;
    }

    @Override
    public void handle(Request r) {
        LookupRequest q = LookupRequest.read(r.body(), r.sc.limits());
        long leaseNanos = r.frame.hasFlag(FrameDescriptor.FLAG_LEASE)
                ? Math.min(q.leaseMillis(), r.sc.config().maxLeaseMillis()) * 1_000_000L : 0;
        long ns = r.session().namespaceId;
        if (r.sc.store().hasSharedTier()) { // a directory miss asks the shared tier: network I/O, off the event loop
            r.offload(() -> r.sc.store().lookup(ns, q.keys(), leaseNanos), (res, err) -> {
                if (err != null) {
                    r.fail(ErrorCode.INTERNAL, "lookup: " + err);
                } else {
                    answer(r, q, ns, res);
                }
            });
        } else {
            answer(r, q, ns, r.sc.store().lookup(ns, q.keys(), leaseNanos));
        }
    }

    private static void answer(Request r, LookupRequest q, long ns, LookupResult res) {
        ByteBuf out = r.ctx().alloc().buffer(16 + res.hitBlocks());
        new LookupReply(res.hitBlocks(), res.tiers()).write(out);
        r.reply(out);
        if (r.frame.hasFlag(FrameDescriptor.FLAG_PREFETCH)) {
            String top = r.sc.tierNames().get(0);
            for (int i = 0; i < res.hitBlocks(); i++) {
                if (!res.tiers().get(i).equals(top)) {
                    BlockKey k = q.keys().get(i);
                    try {
                        r.sc.blocking().execute(() -> r.sc.store().promote(ns, k));
                    } catch (RejectedExecutionException full) {
                        return;
                    }
                }
            }
        }
    }
}
