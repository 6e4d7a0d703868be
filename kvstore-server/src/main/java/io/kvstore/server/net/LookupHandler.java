package io.kvstore.server.net;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.LookupResult;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.body.LookupReply;
import io.kvstore.protocol.body.LookupRequest;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.RejectedExecutionException;

/**
 * LOOKUP: the store's directory answers on the event loop (no tier is touched). With PREFETCH, hit blocks below
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
        LookupResult res = r.sc.store().lookup(ns, q.keys(), leaseNanos);
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
