package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A time-to-first-token model. A request's modelled TTFT is the prefill of the tokens the cache did not supply
 * plus the transfer of the blocks it did, tier by tier:
 * <pre>
 *   ttft = (inputTokens - hitTokens) x prefillSecondsPerToken + sum over tiers (hitBlocks[tier] x blockBytes / bandwidth[tier])
 * </pre>
 * Prefill is taken as linear in the tokens (the attention term that makes long prefixes costlier than linear is
 * left out, which understates what a miss on a long agent context costs), transfers as bandwidth-bound and not
 * overlapped with prefill. An agent session's time is the sum of its turns' TTFTs (decode and tool time are the
 * same with or without a cache and are left out). Immutable.
 *
 * @param blockBytes             bytes of one block's KV tensors (from the KV layout)
 * @param prefillSecondsPerToken GPU prefill time per prompt token for the model
 * @param bandwidth              bytes per second from each tier into GPU memory, by tier name
 */
public record TtftModel(long blockBytes, double prefillSecondsPerToken, Map<String, Double> bandwidth) {

    /** Summary of one scenario. */
    public record Summary(String scenario, double hitRatioTokens, double meanSeconds, double p50Seconds,
                          double p99Seconds, double meanSessionSeconds, int sessions) {
        /** One table row. */
        public String row() {
            return String.format(Locale.ROOT, "%-28s %9.4f %10.3f %10.3f %10.3f %14.2f", scenario, hitRatioTokens,
                    meanSeconds, p50Seconds, p99Seconds, meanSessionSeconds);
        }

        /** The table header matching {@link #row()}. */
        public static String header() {
            return String.format(Locale.ROOT, "%-28s %9s %10s %10s %10s %14s", "scenario", "hit(tok)", "mean s",
                    "p50 s", "p99 s", "session mean s");
        }
    }

    /** The modelled TTFT of every request with no cache. */
    public double[] noCache(Trace trace) {
        double[] t = new double[trace.requests()];
        for (int r = 0; r < t.length; r++) {
            t[r] = trace.inputTokens(r) * prefillSecondsPerToken;
        }
        return t;
    }

    /** The modelled TTFT of every request of a replay that recorded per-request hits. */
    public double[] withCache(Trace trace, ReplayResult result) {
        int[][] hits = result.perRequestHits();
        if (hits == null) {
            throw new IllegalArgumentException("the replay did not record per-request hits");
        }
        List<String> tiers = result.tiers();
        double[] secondsPerBlock = new double[tiers.size()];
        for (int i = 0; i < secondsPerBlock.length; i++) {
            Double bw = bandwidth.get(tiers.get(i));
            if (bw == null || !(bw > 0)) {
                throw new IllegalArgumentException("no bandwidth for tier " + tiers.get(i) + "; known: " + bandwidth);
            }
            secondsPerBlock[i] = blockBytes / bw;
        }
        double[] t = new double[trace.requests()];
        for (int r = 0; r < t.length; r++) {
            long blocks = 0;
            double transfer = 0;
            for (int i = 0; i < secondsPerBlock.length; i++) {
                blocks += hits[r][i];
                transfer += hits[r][i] * secondsPerBlock[i];
            }
            long hitTokens = Math.min(trace.inputTokens(r), blocks * trace.blockTokens());
            t[r] = (trace.inputTokens(r) - hitTokens) * prefillSecondsPerToken + transfer;
        }
        return t;
    }

    /** Mean, p50, p99 and per-session sums of per-request TTFTs; {@code hitRatioTokens} is reported as given. */
    public Summary summarize(String scenario, Trace trace, double[] ttft, double hitRatioTokens) {
        double[] sorted = ttft.clone();
        Arrays.sort(sorted);
        double sum = 0;
        double[] perSession = new double[Math.max(1, trace.sessions())];
        for (int r = 0; r < ttft.length; r++) {
            sum += ttft[r];
            perSession[trace.session(r)] += ttft[r];
        }
        double sessionMean = Arrays.stream(perSession).sum() / perSession.length;
        int n = sorted.length;
        return new Summary(scenario, hitRatioTokens, n == 0 ? 0 : sum / n,
                pct(sorted, 0.50), pct(sorted, 0.99), sessionMean, trace.sessions());
    }

    private static double pct(double[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
