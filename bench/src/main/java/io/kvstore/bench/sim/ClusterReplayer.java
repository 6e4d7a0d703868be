package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.store.TieredStoreBuilder;
import io.kvstore.core.tier.MetadataOnlyTier;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.linked.LruPolicy;
import io.kvstore.server.index.PrefixLoadRule;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleConsumer;

/**
 * Replays a {@link Trace} across {@code nodes} simulated kvstore daemons: a router sends each request to one node,
 * and each node is its own real {@link TieredStore} with a metadata-only local tier of {@code localBlocks}.
 * With {@code sharedBlocks > 0}, every node's store also has, as its last level, one {@link GlobalLruSharedTier}
 * that all nodes share (the Redis Cluster tier, {@code withRules(false, false)} as the server builds it): blocks
 * reach it by write-back when a node's local tier evicts them and by write-through when stored, and a node's local miss is looked up there (the
 * store's shared-tier path), a hit promoted into that node's local tier as a copy.
 *
 * <h2>Semantics</h2>
 * As {@link Replayer}, per node: a request's prefix hit is its number of leading blocks present, when it arrives,
 * in the chosen node's local tier or in the shared tier (not an access); then every block is read (a hit) or
 * stored (a miss) in that node's store. The prefix is counted against the tiers, not the store's directory,
 * because a node's directory may still list a block the shared tier has evicted (it learns on the next read, as
 * with Redis). Blocks weigh one unit each. Single-threaded; one instance per run.
 *
 * <h2>Routing</h2>
 * {@code random}: a seeded uniform node per request (the case Mooncake's global cache is measured against);
 * {@code round-robin}: request {@code r} to node {@code r mod nodes}; {@code prefix-affinity}: the node whose
 * local tier holds the longest leading run of the request's blocks, ties broken at random, among the nodes
 * that have not served more than 1.25x their fair share of requests so far (a cache-aware router with bounded
 * load; without the bound every request follows the shared first blocks to one node); {@code prefix-load}: as
 * {@code kvstore index} routes ({@link PrefixLoadRule}: the same class), a request continuing a prefix to the node
 * with the lowest queued prefill plus weighted miss, a new chain to the node whose cache is least asked of lately
 * among those that can start it soon.
 *
 * <h2>Load model</h2>
 * Each node prefills one request at a time, in arrival order (the trace's timestamps): a request routed to node
 * {@code n} at time {@code t} waits until the node's earlier prefills are done ({@code busyUntil[n]}), then prefills
 * the tokens its prefix hit did not supply at {@code prefillSecondsPerToken}. Its modelled TTFT is that wait plus its
 * prefill (the transfer of hit blocks is left out: it is the same order for every router). A node's load is the
 * prefill tokens it computed over the trace; piling requests onto one node shows as a high max/mean load and as
 * waiting time in the TTFT.
 */
public final class ClusterReplayer {

    private static final long NS = TraceBlocks.NS;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    /** How the router picks a node for a request. */
    public enum Routing {
        RANDOM, ROUND_ROBIN, PREFIX_AFFINITY, PREFIX_LOAD;

        /** {@code random}, {@code round-robin}, {@code prefix-affinity} or {@code prefix-load}. */
        public static Routing parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown routing '" + s
                        + "'; known: random, round-robin, prefix-affinity, prefix-load");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One cluster replay.
     *
     * @param nodes           simulated nodes
     * @param routing         the router
     * @param policy          each node's local-tier policy
     * @param localBlocks     each node's local capacity, in blocks
     * @param sharedBlocks    the shared tier's capacity, in blocks (0 = no shared tier)
     * @param requestedBlocks blocks requested over the trace
     * @param hitBlocks       leading blocks found (local or shared)
     * @param sharedHitBlocks of those, blocks found only in the shared tier
     * @param requestedTokens input tokens over the trace
     * @param hitTokens       tokens of the hit blocks
     * @param requestsPerNode requests each node served
     * @param sharedEvictions blocks the shared tier evicted (global LRU)
     * @param prefillTokensPerNode tokens each node prefilled (its load)
     * @param ttftSeconds     each request's modelled TTFT (queue wait + prefill), in trace order
     * @param nanos           wall time of the replay
     */
    public record Result(int nodes, Routing routing, String policy, long localBlocks, long sharedBlocks,
                         long requestedBlocks, long hitBlocks, long sharedHitBlocks, long requestedTokens,
                         long hitTokens, long[] requestsPerNode, long sharedEvictions, long[] prefillTokensPerNode,
                         double[] ttftSeconds, long nanos) {

        /** The most loaded node's prefill tokens over the mean (1 = perfectly even). */
        public double maxOverMeanLoad() {
            long max = 0;
            long sum = 0;
            for (long l : prefillTokensPerNode) {
                max = Math.max(max, l);
                sum += l;
            }
            return sum == 0 ? 1 : (double) max * prefillTokensPerNode.length / sum;
        }

        /** Nodes that served at least one request. */
        public int nodesUsed() {
            int n = 0;
            for (long r : requestsPerNode) {
                n += r > 0 ? 1 : 0;
            }
            return n;
        }

        /** Mean modelled TTFT in seconds. */
        public double meanTtftSeconds() {
            double s = 0;
            for (double t : ttftSeconds) {
                s += t;
            }
            return ttftSeconds.length == 0 ? 0 : s / ttftSeconds.length;
        }

        /** A percentile (0..100) of the modelled TTFT in seconds. */
        public double ttftPercentileSeconds(double p) {
            if (ttftSeconds.length == 0) {
                return 0;
            }
            double[] sorted = ttftSeconds.clone();
            java.util.Arrays.sort(sorted);
            return sorted[(int) Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))];
        }

        public double hitRatioBlocks() {
            return requestedBlocks == 0 ? 0 : (double) hitBlocks / requestedBlocks;
        }

        public double hitRatioTokens() {
            return requestedTokens == 0 ? 0 : (double) hitTokens / requestedTokens;
        }
    }

    private final Trace trace;
    private final TraceBlocks blocks;
    private DoubleConsumer progress = fraction -> { };

    public ClusterReplayer(Trace trace) {
        this.trace = trace;
        this.blocks = new TraceBlocks(trace);
    }

    /** Reports how far each run is (0..1, about a hundred calls per run, from the replaying thread). */
    public ClusterReplayer progress(DoubleConsumer progress) {
        this.progress = progress;
        return this;
    }

    /**
     * Replays the trace; {@code sharedBlocks == 0} replays per-node caches only. {@code writeThroughBlocks}: a
     * block a node stores at chain position below this is also copied into the shared tier at once (the server's
     * {@code remoteWriteThroughBlocks}; {@code Integer.MAX_VALUE} = every block, as in Mooncake's global pool);
     * 0 = write-back only (blocks reach the shared tier when a node's local tier evicts them).
     */
    public Result run(int nodes, Routing routing, String policy, long localBlocks, long sharedBlocks,
                      int writeThroughBlocks, long seed) {
        return run(nodes, routing, policy, localBlocks, sharedBlocks, writeThroughBlocks, seed,
                DEFAULT_PREFILL_SECONDS_PER_TOKEN, DEFAULT_MISS_WEIGHT);
    }

    /**
     * How {@code prefix-load} weighs the tokens a node would have to prefill against the time already queued on
     * it ({@link PrefixLoadRule#DEFAULT_MISS_WEIGHT}, the index's default too).
     */
    public static final double DEFAULT_MISS_WEIGHT = PrefixLoadRule.DEFAULT_MISS_WEIGHT;

    /** Prefill speed of the load model when none is given: Llama-3-8B on one H100 (12,000 tokens/s). */
    public static final double DEFAULT_PREFILL_SECONDS_PER_TOKEN = 1 / 12_000.0;

    /**
     * As {@link #run(int, Routing, String, long, long, int, long)} with the load model's prefill speed and
     * {@code prefix-load}'s weight of prefill tokens against queued time ({@link #DEFAULT_MISS_WEIGHT}).
     */
    public Result run(int nodes, Routing routing, String policy, long localBlocks, long sharedBlocks,
                      int writeThroughBlocks, long seed, double prefillSecondsPerToken, double missWeight) {
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1, was " + nodes);
        }
        if (localBlocks < 1 || sharedBlocks < 0) {
            throw new IllegalArgumentException("local capacity must be >= 1 block and shared >= 0");
        }
        long t0 = System.nanoTime();
        ManualClock clock = new ManualClock();
        GlobalLruSharedTier shared = sharedBlocks > 0 ? new GlobalLruSharedTier("remote", sharedBlocks) : null;
        List<MetadataOnlyTier> locals = new ArrayList<>(nodes);
        List<TieredStore> stores = new ArrayList<>(nodes);
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] perNode = new long[nodes];
        long[] prefilled = new long[nodes];
        double[] busyUntil = new double[nodes];
        double[] ttft = new double[trace.requests()];
        PrefixLoadRule prefixLoad = routing != Routing.PREFIX_LOAD ? null : new PrefixLoadRule(nodes,
                PrefixLoadRule.Settings.defaults(1 / prefillSecondsPerToken).withMissWeight(missWeight));
        long[] cachedTokens = new long[nodes];
        boolean[] everyNode = new boolean[nodes];
        java.util.Arrays.fill(everyNode, true);
        long reqBlocks = 0;
        long hitBlocks = 0;
        long sharedHits = 0;
        long reqTokens = 0;
        long hitTokens = 0;
        try {
            for (int n = 0; n < nodes; n++) {
                MetadataOnlyTier local = new MetadataOnlyTier("local", localBlocks);
                locals.add(local);
                TieredStoreBuilder b = TieredStore.builder().clock(clock).tier(TierSpec.of(local,
                        PolicyRegistry.create(policy, new PolicySpec(localBlocks, 1, seed + n))));
                if (shared != null) {
                    b.tier(TierSpec.of(shared, new LruPolicy<>()).withRules(false, false));
                }
                stores.add(b.build());
            }
            Arrivals arrivals = new Arrivals(trace, clock, progress);
            for (int r = 0; r < trace.requests(); r++) {
                arrivals.arrive(r);
                int s = trace.start(r);
                int e = trace.end(r);
                double now = trace.timeMillis(r) / 1000.0;
                int node = switch (routing) {
                    case RANDOM -> rnd.nextInt(nodes);
                    case ROUND_ROBIN -> r % nodes;
                    case PREFIX_AFFINITY -> longestLocalPrefix(locals, perNode, r, s, e, rnd);
                    case PREFIX_LOAD -> {
                        cachedRuns(locals, r, s, e, cachedTokens);
                        yield prefixLoad.route(now, trace.inputTokens(r), cachedTokens, everyNode, rnd).endpoint();
                    }
                };
                perNode[node]++;
                MetadataOnlyTier local = locals.get(node);
                TieredStore store = stores.get(node);
                int h = 0;
                int fromShared = 0;
                while (s + h < e) {
                    BlockKey k = blocks.key(trace.block(s + h));
                    if (local.contains(k)) {
                        h++;
                    } else if (shared != null && shared.contains(k)) {
                        h++;
                        fromShared++;
                    } else {
                        break;
                    }
                }
                reqBlocks += e - s;
                hitBlocks += h;
                sharedHits += fromShared;
                reqTokens += trace.inputTokens(r);
                long hitTok = 0;
                for (int j = 0; j < h; j++) {
                    hitTok += trace.tokens(r, j);
                }
                hitTokens += hitTok;
                long missTokens = Math.max(0, trace.inputTokens(r) - hitTok);
                double startsAt = Math.max(now, busyUntil[node]);
                busyUntil[node] = startsAt + missTokens * prefillSecondsPerToken;
                ttft[r] = busyUntil[node] - now;
                prefilled[node] += missTokens;
                for (int j = 0; j < e - s; j++) {
                    BlockMeta m = blocks.meta(s + j, j);
                    GetResult g = store.get(NS, m.key());
                    if (g.isHit()) {
                        g.handle().close();
                    } else if (store.put(m, EMPTY, true, trace.partial(r, j)).status() == PutStatus.STORED
                            && shared != null && j < writeThroughBlocks) {
                        shared.put(m, EMPTY); // the write-through copy (asynchronous in the server)
                    }
                }
            }
        } finally {
            stores.forEach(TieredStore::close);
        }
        return new Result(nodes, routing, policy, localBlocks, sharedBlocks, reqBlocks, hitBlocks, sharedHits,
                reqTokens, hitTokens, perNode, shared == null ? 0 : shared.evictions(), prefilled, ttft,
                System.nanoTime() - t0);
    }

    /** Bounded load: a node that served more than this factor of its fair share so far is not eligible. */
    private static final double MAX_LOAD_FACTOR = 1.25;

    private int longestLocalPrefix(List<MetadataOnlyTier> locals, long[] perNode, int r, int s, int e,
                                   SplittableRandom rnd) {
        int best = -1;
        int bestLen = -1;
        int ties = 0;
        double bound = MAX_LOAD_FACTOR * (r + 1) / locals.size() + 1;
        for (int n = 0; n < locals.size(); n++) {
            if (perNode[n] > bound) {
                continue;
            }
            MetadataOnlyTier t = locals.get(n);
            int h = 0;
            while (s + h < e && t.contains(blocks.key(trace.block(s + h)))) {
                h++;
            }
            if (h > bestLen) {
                best = n;
                bestLen = h;
                ties = 1;
            } else if (h == bestLen && rnd.nextInt(++ties) == 0) { // reservoir: a uniform pick among the ties
                best = n;
            }
        }
        return best;
    }

    /**
     * {@code prefix-load}'s view: the tokens of the leading run of request {@code r}'s blocks that each node's local
     * tier holds, which is what an index fed by the nodes' KV events knows (the store reports an eviction as it
     * happens; the index applies its BlockRemoved).
     */
    private void cachedRuns(List<MetadataOnlyTier> locals, int r, int s, int e, long[] out) {
        for (int n = 0; n < locals.size(); n++) {
            MetadataOnlyTier t = locals.get(n);
            int h = 0;
            long tokens = 0;
            while (s + h < e && t.contains(blocks.key(trace.block(s + h)))) {
                tokens += trace.tokens(r, h);
                h++;
            }
            out[n] = tokens;
        }
    }
}
