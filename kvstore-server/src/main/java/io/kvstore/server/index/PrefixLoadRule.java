package io.kvstore.server.index;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The {@code prefix-load} routing rule: which endpoint a request goes to, given how much of its prefix each endpoint
 * holds (what the KV events say) and the work the rule itself has sent each endpoint. {@code kvstore index} routes
 * by it ({@code POST /v1/route}) and the simulator's {@code --routing prefix-load} replays traces through it, so the
 * simulated figures are the service's.
 *
 * <h2>The rule</h2>
 * For every eligible endpoint {@code n}: {@code wait[n]}, the prefill the rule has routed there and not yet
 * modelled as done, and {@code cost[n] = wait[n] + missWeight x missTokens[n] / prefillTokensPerSecond}, the
 * tokens past its cached run weighted above a second of queue (a token a node already holds saves its prefill now
 * and on the conversation's next turns, and a request sent elsewhere copies its prefix into a second cache).
 * <ul>
 *   <li><b>Continuing a prefix</b> (some endpoint holds a leading run): the lowest cost. A conversation stays
 *       where its context is until that endpoint's queue is longer than another's by more than
 *       {@code missWeight} times the prefill of the run it would lose.</li>
 *   <li><b>Placing a new chain</b> (no endpoint holds any of it): every endpoint must prefill all of it, so the
 *       choice is about what it does to the caches. Candidates: the endpoints that could start it within
 *       {@code placementSlack} times its own prefill of the soonest, and that have not prefilled more than
 *       {@code maxLoadFactor} times the mean so far. Among them, the one with the smallest <em>footprint</em>: the
 *       input tokens routed there lately (an exponentially decayed sum, time constant {@code footprintSeconds}),
 *       which is the rate at which its LRU cache is asked to keep things. The queue balances the prefill work, the
 *       footprint balances the cache pressure: an endpoint whose conversations hit well has a short queue and a busy
 *       cache, and a new conversation placed there would evict contexts that were about to be reused.</li>
 * </ul>
 * Ties are broken by the given random generator. The rule then books the request on the chosen endpoint: its queue
 * grows by the prefill of its miss, its footprint by the request's tokens, its prefill total by the miss.
 *
 * <p>Not thread-safe: callers serialise {@link #route} (the index holds a lock; the simulator is single-threaded).
 */
public final class PrefixLoadRule {

    /**
     * Settings.
     *
     * @param prefillTokensPerSecond one endpoint's prefill speed
     * @param missWeight             a token to prefill against a second of queued work, per second of prefill
     * @param placementSlack         a new chain may wait this many times its own prefill longer than on the
     *                               soonest endpoint, for a less loaded cache
     * @param footprintSeconds       time constant of the footprint's decay
     * @param maxLoadFactor          a new chain goes to no endpoint that has prefilled more than this times the mean
     */
    public record Settings(double prefillTokensPerSecond, double missWeight, double placementSlack,
                           double footprintSeconds, double maxLoadFactor) {
        public Settings {
            if (!(prefillTokensPerSecond > 0) || !(missWeight >= 0) || !(placementSlack >= 0)
                    || !(footprintSeconds > 0) || !(maxLoadFactor >= 1)) {
                throw new IllegalArgumentException("prefix-load: prefill speed and footprint time must be > 0, miss "
                        + "weight and placement slack >= 0, max load factor >= 1; got " + prefillTokensPerSecond + ", "
                        + footprintSeconds + ", " + missWeight + ", " + placementSlack + ", " + maxLoadFactor);
            }
        }

        /** The defaults, measured on the Mooncake and WEKA traces (docs/routing.md), at a prefill speed. */
        public static Settings defaults(double prefillTokensPerSecond) {
            return new Settings(prefillTokensPerSecond, DEFAULT_MISS_WEIGHT, 0.5, 300, 1.1);
        }

        /** These settings with another miss weight. */
        public Settings withMissWeight(double weight) {
            return new Settings(prefillTokensPerSecond, weight, placementSlack, footprintSeconds, maxLoadFactor);
        }
    }

    /** The default {@link Settings#missWeight()}. */
    public static final double DEFAULT_MISS_WEIGHT = 10;

    /**
     * Where a request went and why.
     *
     * @param endpoint      the chosen endpoint
     * @param placed        true if no endpoint held any of its prefix (the placement branch decided)
     * @param queuedSeconds each endpoint's wait before the request was booked
     * @param cost          each endpoint's cost (NaN for an endpoint that was not eligible)
     */
    public record Decision(int endpoint, boolean placed, double[] queuedSeconds, double[] cost) {
    }

    private final Settings settings;
    private final double[] busyUntil;
    private final double[] footprint;
    private final double[] footprintAt;
    private final double[] prefilled;

    /** A rule over {@code endpoints} endpoints, none of which has been sent anything. */
    public PrefixLoadRule(int endpoints, Settings settings) {
        if (endpoints < 1) {
            throw new IllegalArgumentException("prefix-load: need at least one endpoint, got " + endpoints);
        }
        this.settings = settings;
        this.busyUntil = new double[endpoints];
        this.footprint = new double[endpoints];
        this.footprintAt = new double[endpoints];
        this.prefilled = new double[endpoints];
    }

    /**
     * Routes one request and books it on the chosen endpoint.
     *
     * @param now          seconds on the caller's clock (never going back)
     * @param inputTokens  the request's tokens
     * @param cachedTokens per endpoint, the tokens of the leading run of the request's blocks it holds
     * @param eligible     per endpoint, whether it may be chosen (live); at least one must be
     * @param random       breaks ties
     */
    public Decision route(double now, long inputTokens, long[] cachedTokens, boolean[] eligible,
                          RandomGenerator random) {
        int n = busyUntil.length;
        if (cachedTokens.length != n || eligible.length != n) {
            throw new IllegalArgumentException("prefix-load: " + n + " endpoints, got " + cachedTokens.length
                    + " cached runs and " + eligible.length + " eligibility flags");
        }
        double spt = 1 / settings.prefillTokensPerSecond();
        double[] wait = new double[n];
        double[] cost = new double[n];
        Arrays.fill(cost, Double.NaN);
        boolean any = false;
        boolean heldSomewhere = false;
        double minWait = Double.MAX_VALUE;
        double meanPrefilled = 0;
        for (int i = 0; i < n; i++) {
            wait[i] = Math.max(0, busyUntil[i] - now);
            meanPrefilled += prefilled[i] / n;
            if (eligible[i]) {
                any = true;
                heldSomewhere |= cachedTokens[i] > 0;
                minWait = Math.min(minWait, wait[i]);
                cost[i] = wait[i] + settings.missWeight() * miss(inputTokens, cachedTokens[i]) * spt;
            }
        }
        if (!any) {
            throw new IllegalArgumentException("prefix-load: no eligible endpoint");
        }
        int chosen = -1;
        if (!heldSomewhere) {
            double latest = minWait + settings.placementSlack() * inputTokens * spt;
            double cap = settings.maxLoadFactor() * meanPrefilled;
            double[] footprintNow = new double[n];
            for (int i = 0; i < n; i++) {
                boolean candidate = eligible[i] && wait[i] <= latest && prefilled[i] <= cap;
                footprintNow[i] = candidate ? decayedFootprint(i, now) : Double.NaN;
            }
            chosen = argMin(footprintNow, random);
        }
        boolean placed = chosen >= 0;
        if (!placed) {
            chosen = argMin(cost, random);
        }
        long miss = miss(inputTokens, cachedTokens[chosen]);
        busyUntil[chosen] = Math.max(now, busyUntil[chosen]) + miss * spt;
        footprint[chosen] = decayedFootprint(chosen, now) + inputTokens;
        footprintAt[chosen] = now;
        prefilled[chosen] += miss;
        return new Decision(chosen, placed, wait, cost);
    }

    /** The settings. */
    public Settings settings() {
        return settings;
    }

    private static long miss(long inputTokens, long cachedTokens) {
        return Math.max(0, inputTokens - cachedTokens);
    }

    private double decayedFootprint(int i, double now) {
        return footprint[i] * Math.exp(-Math.max(0, now - footprintAt[i]) / settings.footprintSeconds());
    }

    /** The index of the smallest value that is not NaN, ties broken uniformly at random; -1 if all are NaN. */
    private static int argMin(double[] values, RandomGenerator random) {
        int best = -1;
        int ties = 0;
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            if (Double.isNaN(v)) {
                continue;
            }
            if (best < 0 || v < values[best] - 1e-12) {
                best = i;
                ties = 1;
            } else if (Math.abs(v - values[best]) <= 1e-12 && random.nextInt(++ties) == 0) { // a uniform pick
                best = i;
            }
        }
        return best;
    }
}
