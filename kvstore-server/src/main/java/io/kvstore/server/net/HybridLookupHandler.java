package io.kvstore.server.net;

import io.kvstore.core.hybrid.GroupKey;
import io.kvstore.core.hybrid.ResumePoint;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.LookupResult;
import io.kvstore.core.store.TieredStore;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.body.HybridLookupReply;
import io.kvstore.protocol.body.HybridLookupRequest;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * HYBRID_LOOKUP: where a hybrid model can resume, in one round trip (docs/protocol.md, "Hybrid models"). The prefix
 * blocks held contiguously from the start, then, from there down, the deepest boundary at which every other group's
 * objects are held ({@link ResumePoint}: each group object's key derived here, asked of the directory once). The
 * answer's objects are then looked up together, which takes the lease on all of them and names their tiers; if one
 * went in between (evicted after it was seen), the search runs again. Reads the directory only, like LOOKUP, on the
 * event loop (the blocking pool with a shared tier); not an access for the policies.
 */
final class HybridLookupHandler implements OpHandler {
    /** Searches before answering "nowhere" when objects keep leaving between the search and the lease. */
    private static final int ATTEMPTS = 3;

    @Override
    public int allowedFlags() {
        return FrameDescriptor.FLAG_LEASE | FrameDescriptor.FLAG_PREFETCH;
    }

    @Override
    public void handle(Request r) {
        HybridLookupRequest q = HybridLookupRequest.read(r.body(), r.sc.limits());
        long leaseNanos = LookupHandler.leaseNanos(r, q.leaseMillis());
        long ns = r.session().namespaceId;
        int tokensPerBlock = r.session().namespace.layout().tokensPerBlock();
        LookupHandler.onDirectory(r, "hybrid lookup", () -> resume(r.sc.store(), ns, q, tokensPerBlock, leaseNanos),
                a -> {
                    ByteBuf out = r.ctx().alloc().buffer(32 + a.tiers().size());
                    a.reply().write(out);
                    r.reply(out);
                    LookupHandler.prefetch(r, ns, a.objects(), a.tiers());
                });
    }

    private record Answer(HybridLookupReply reply, List<BlockKey> objects, List<String> tiers) {
    }

    private static Answer resume(TieredStore store, long ns, HybridLookupRequest q, int tokensPerBlock,
                                 long leaseNanos) {
        List<BlockKey> keys = q.keys();
        int hit = 0;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            hit = store.lookup(ns, keys, 0).hitBlocks();
            int j = ResumePoint.find(q.groups(), hit, tokensPerBlock,
                    (g, i) -> store.contains(ns, GroupKey.of(keys.get(i), g)));
            List<BlockKey> objects = new ArrayList<>();
            ResumePoint.objects(q.groups(), keys, j, tokensPerBlock).forEach(objects::addAll);
            LookupResult held = store.lookup(ns, objects, leaseNanos);
            if (held.hitBlocks() == objects.size()) {
                return new Answer(new HybridLookupReply(j, hit, held.tiers()), objects, held.tiers());
            }
        }
        return new Answer(new HybridLookupReply(0, hit, List.of()), List.of(), List.of());
    }
}
