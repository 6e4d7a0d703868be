package io.kvstore.server.net;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.LookupResult;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.body.LookupReply;
import io.kvstore.protocol.body.LookupRequest;
import io.netty.buffer.ByteBuf;

import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

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
        long leaseNanos = leaseNanos(r, q.leaseMillis());
        long ns = r.session().namespaceId;
        onDirectory(r, "lookup", () -> r.sc.store().lookup(ns, q.keys(), leaseNanos), res -> answer(r, q, ns, res));
    }

    /** The lease a LOOKUP asks for, clamped to {@code maxLeaseMillis}; 0 without the LEASE flag. */
    static long leaseNanos(Request r, int leaseMillis) {
        return r.frame.hasFlag(FrameDescriptor.FLAG_LEASE)
                ? Math.min(leaseMillis, r.sc.config().maxLeaseMillis()) * 1_000_000L : 0;
    }

    /**
     * Runs {@code work}, which reads the store's directory, on the event loop; with a shared tier (whose blocks are
     * asked over the network on a directory miss) on the blocking pool instead. Then {@code answer} on its result,
     * or an INTERNAL error naming {@code what}.
     */
    static <T> void onDirectory(Request r, String what, Supplier<T> work, Consumer<T> answer) {
        if (!r.sc.store().hasSharedTier()) {
            answer.accept(work.get());
            return;
        }
        r.offload(work::get, (res, err) -> {
            if (err != null) {
                r.fail(ErrorCode.INTERNAL, what + ": " + err);
            } else {
                answer.accept(res);
            }
        });
    }

    private static void answer(Request r, LookupRequest q, long ns, LookupResult res) {
        ByteBuf out = r.ctx().alloc().buffer(16 + res.hitBlocks());
        new LookupReply(res.hitBlocks(), res.tiers()).write(out);
        r.reply(out);
        prefetch(r, ns, q.keys(), res.tiers());
    }

    /** With PREFETCH, promotes the hits ({@code keys} with their {@code tiers}) that are below the top tier. */
    static void prefetch(Request r, long ns, List<BlockKey> keys, List<String> tiers) {
        if (!r.frame.hasFlag(FrameDescriptor.FLAG_PREFETCH)) {
            return;
        }
        String top = r.sc.tierNames().get(0);
        for (int i = 0; i < tiers.size(); i++) {
            if (!tiers.get(i).equals(top)) {
                BlockKey k = keys.get(i);
                try {
                    r.sc.blocking().execute(() -> r.sc.store().promote(ns, k));
                } catch (RejectedExecutionException full) {
                    return;
                }
            }
        }
    }
}
