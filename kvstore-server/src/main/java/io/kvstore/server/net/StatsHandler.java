package io.kvstore.server.net;

import io.kvstore.core.store.LevelStats;
import io.kvstore.protocol.body.TierCounters;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/** STATS: the store's counters per tier. */
final class StatsHandler implements OpHandler {

    @Override
    public int allowedFlags() {
        return 0;
    }

    @Override
    public void handle(Request r) {
        List<TierCounters> tiers = new ArrayList<>();
        for (LevelStats s : r.sc.store().stats()) {
            tiers.add(new TierCounters(s.tier().name(), s.policy(), s.tier().capacityBytes(), s.tier().usedBytes(),
                    s.tier().blocks(), s.tier().hits(), s.tier().misses(), s.admitted(), s.evicted(),
                    s.demotedOut(), s.promotedIn(), s.corrupt()));
        }
        ByteBuf out = r.ctx().alloc().buffer(256);
        TierCounters.writeStats(out, r.sc.store().size(), tiers);
        r.reply(out);
    }
}
