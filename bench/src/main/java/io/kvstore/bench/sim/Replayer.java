package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.LevelStats;
import io.kvstore.core.store.StoreEvent;
import io.kvstore.core.store.StoreEventListener;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.store.TieredStoreBuilder;
import io.kvstore.core.tier.MetadataOnlyTier;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.Relocating;
import io.kvstore.policy.admission.FilteredPolicy;
import io.kvstore.policy.opt.Clairvoyant;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.DoubleConsumer;

/**
 * Replays a {@link Trace} through the real {@link TieredStore} with {@link MetadataOnlyTier}s, one per
 * {@link LevelConfig}, each run by a policy from the {@link PolicyRegistry}.
 *
 * <h2>Semantics</h2>
 * For each request in order: its prefix hit is the number of leading blocks cached in any tier when it arrives
 * (checked with {@code contains}, which is not an access). Then every block is accessed in chain order: a cached
 * block is read ({@code get}, which counts a hit for its policy and may promote it), a missing one is stored
 * ({@code put}, which the top policy may refuse and which evicts or demotes as needed). The trailing partial block
 * is stored with the partial flag. Each block weighs one unit, so capacities are in blocks. An offline policy
 * ({@link Clairvoyant}) is told each block's next access before the block is touched. The simulated clock advances
 * to each request's arrival time.
 *
 * <h2>Writes per tier</h2>
 * Every replay counts, per tier, the blocks written into it ({@link ReplayResult#writtenBlocks}: puts admitted there,
 * demotions in, promotions in), the part of those that re-demote a block promoted out of that tier earlier
 * ({@link ReplayResult#rewrittenBlocks}: free for an engine that keeps the lower copy of a promoted block) and the
 * part that are trailing partial blocks ({@link ReplayResult#partialWrittenBlocks}: a real client never stores
 * them), and the blocks a {@code Relocating} policy rewrote to keep them ({@link ReplayResult#relocatedBlocks}). For
 * the last tier of a DRAM + NVMe hierarchy the written and relocated blocks are the flash write volume.
 *
 * <h2>Read counts for admission rules</h2>
 * A {@code reused:<policy>} level needs each block's reads since it entered the store. Until the engine puts that
 * count into the {@code Candidate}, the replayer keeps it (a block's count restarts at 0 when it is put, which
 * happens only when it is not cached) and hands it to the rule as a {@code HitHistory}.
 *
 * <p>A replayer is single-use state over one trace; create one per run. Runs over the same trace may go in
 * parallel (the trace is immutable).
 */
public final class Replayer {
    private static final long NS = TraceBlocks.NS;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final Trace trace;
    private final TraceBlocks blocks;
    private DoubleConsumer progress = fraction -> { };

    public Replayer(Trace trace) {
        this.trace = trace;
        this.blocks = new TraceBlocks(trace);
    }

    /** Reports how far each run is (0..1, about a hundred calls per run, from the replaying thread). */
    public Replayer progress(DoubleConsumer progress) {
        this.progress = progress;
        return this;
    }

    /** Replays the trace; {@code nextAccess} is required when a level runs an offline policy, else may be null. */
    public ReplayResult run(List<LevelConfig> levels, int[] nextAccess, boolean perRequest, long seed) {
        long t0 = System.nanoTime();
        ManualClock clock = new ManualClock();
        List<String> names = levels.stream().map(LevelConfig::name).toList();
        WriteCounter writes = new WriteCounter(names, trace.uniqueBlocks());
        TieredStoreBuilder b = TieredStore.builder().clock(clock).listener(writes);
        List<EvictionPolicy<BlockKey>> policies = new ArrayList<>();
        int[] reads = new int[trace.uniqueBlocks()];
        for (LevelConfig l : levels) {
            EvictionPolicy<BlockKey> p = PolicyRegistry.create(l.policy(), new PolicySpec(l.capacityBlocks(), 1, seed));
            policies.add(p);
            if (p instanceof FilteredPolicy<BlockKey> f) {
                f.rule().readCountsFrom(k -> reads[(int) k.secondLong()]);
            }
            b.tier(TierSpec.of(new MetadataOnlyTier(l.name(), l.capacityBlocks()), p));
        }
        List<Clairvoyant<BlockKey>> oracles = new ArrayList<>();
        for (EvictionPolicy<BlockKey> p : policies) {
            if (p instanceof Clairvoyant<BlockKey> c) {
                if (nextAccess == null) {
                    throw new IllegalArgumentException(p.name() + " is offline: it needs the trace's next accesses");
                }
                oracles.add(c);
            }
        }
        int tiers = levels.size();
        long[] hitsPerTier = new long[tiers];
        int[][] perReq = perRequest ? new int[trace.requests()][tiers] : null;
        long reqBlocks = 0;
        long hitBlocks = 0;
        long reqTokens = 0;
        long hitTokens = 0;
        try (TieredStore store = b.build()) {
            Arrivals arrivals = new Arrivals(trace, clock, progress);
            for (int r = 0; r < trace.requests(); r++) {
                arrivals.arrive(r);
                int s = trace.start(r);
                int e = trace.end(r);
                int h = 0;
                while (s + h < e && store.contains(NS, blocks.key(trace.block(s + h)))) {
                    h++;
                }
                reqBlocks += e - s;
                hitBlocks += h;
                reqTokens += trace.inputTokens(r);
                for (int j = 0; j < e - s; j++) {
                    int i = s + j;
                    BlockMeta m = blocks.meta(i, j);
                    if (!oracles.isEmpty()) {
                        long next = nextAccess[i] == Integer.MAX_VALUE ? Clairvoyant.NEVER : nextAccess[i];
                        for (Clairvoyant<BlockKey> o : oracles) {
                            o.nextAccess(m.key(), next);
                        }
                    }
                    reads[trace.block(i)]++; // before the get, as the store counts a hit before it promotes
                    GetResult g = store.get(NS, m.key());
                    if (g.isHit()) {
                        g.handle().close();
                        if (j < h) {
                            hitTokens += trace.tokens(r, j);
                            int t = names.indexOf(g.tier());
                            hitsPerTier[t]++;
                            if (perReq != null) {
                                perReq[r][t]++;
                            }
                        }
                    } else {
                        boolean partial = trace.partial(r, j);
                        reads[trace.block(i)] = 0;
                        writes.partial[trace.block(i)] = partial;
                        store.put(m, EMPTY, true, partial);
                    }
                }
            }
            List<LevelStats> stats = store.stats();
            long refused = 0;
            long evictions = 0;
            long[] written = new long[tiers];
            long[] relocated = new long[tiers];
            for (int t = 0; t < tiers; t++) {
                LevelStats st = stats.get(t);
                refused += st.rejected();
                evictions += st.evicted();
                written[t] = st.admitted() + st.demotedIn() + st.promotedIn();
                EvictionPolicy<BlockKey> p = policies.get(t);
                if (p instanceof FilteredPolicy<BlockKey> f) {
                    p = f.inner();
                }
                relocated[t] = p instanceof Relocating r ? r.relocations() : 0;
            }
            long[] caps = levels.stream().mapToLong(LevelConfig::capacityBlocks).toArray();
            return new ReplayResult(policies.stream().map(EvictionPolicy::name).toList(), names, caps, reqBlocks,
                    hitBlocks, reqTokens, hitTokens, hitsPerTier, evictions, refused, perReq,
                    System.nanoTime() - t0, written, writes.rewritten, writes.partialWritten, relocated);
        }
    }

    /**
     * Counts, per tier, writes that re-demote a block promoted out of that tier (the store's events: PROMOTED adds
     * the block to the tier's set, a DEMOTED into the tier that finds it there counts, EVICTED forgets it) and
     * writes of trailing partial blocks.
     */
    private static final class WriteCounter implements StoreEventListener {
        private final List<String> tiers;
        private final List<Set<BlockKey>> promotedOut = new ArrayList<>();
        final boolean[] partial;
        final long[] rewritten;
        final long[] partialWritten;

        WriteCounter(List<String> tiers, int uniqueBlocks) {
            this.tiers = tiers;
            this.partial = new boolean[uniqueBlocks];
            this.rewritten = new long[tiers.size()];
            this.partialWritten = new long[tiers.size()];
            for (int i = 0; i < tiers.size(); i++) {
                promotedOut.add(new HashSet<>());
            }
        }

        @Override
        public void onEvent(StoreEvent e) {
            switch (e.type()) {
                case ADMITTED -> wrote(tiers.indexOf(e.tier()), e);
                case DEMOTED -> {
                    int to = tiers.indexOf(e.toTier());
                    wrote(to, e);
                    if (promotedOut.get(to).remove(e.meta().key())) {
                        rewritten[to]++;
                    }
                }
                case PROMOTED -> {
                    wrote(tiers.indexOf(e.toTier()), e);
                    promotedOut.get(tiers.indexOf(e.tier())).add(e.meta().key());
                }
                case EVICTED, DELETED, CORRUPT -> {
                    for (Set<BlockKey> s : promotedOut) {
                        s.remove(e.meta().key());
                    }
                }
                default -> {
                }
            }
        }

        private void wrote(int tier, StoreEvent e) {
            if (partial[(int) e.meta().key().secondLong()]) {
                partialWritten[tier]++;
            }
        }
    }
}
