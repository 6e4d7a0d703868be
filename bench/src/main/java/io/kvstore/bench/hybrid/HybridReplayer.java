package io.kvstore.bench.hybrid;

import io.kvstore.bench.trace.Trace;

import java.util.Arrays;

/**
 * Replays a trace through one {@link Retention} for one model and measures what the engine could skip.
 *
 * <p>For each request in order: its full blocks (a trailing partial block is never a resume point, so it is left
 * out) are looked up; the resumable prefix of {@code h} blocks counts {@code h x blockTokens} hit tokens and saves
 * the prefill FLOPs of that prefix; then the request is recorded. The modelled TTFT of a request is the prefill of
 * the rest of its prompt at the model's FLOP rate plus the transfer of what the hit reads (the {@code h} attention
 * blocks and, for a hybrid, one snapshot) at the given bandwidth:
 * <pre>
 *   ttft = (F(input) - F(hit tokens)) / prefill FLOP/s + (h x block bytes + snapshot bytes) / bandwidth
 * </pre>
 * with {@code F} the model's prefill FLOPs ({@link ModelShape#prefillFlops}). Stateless; runs on the same trace may
 * go in parallel.
 */
public final class HybridReplayer {
    private HybridReplayer() {
    }

    /** What one replay measured. */
    public record Result(double tokenHitRatio, double flopsSavedFraction, double meanTtftSeconds,
                         double p99TtftSeconds, long snapshotsWritten, long evictions, long nanos) {
    }

    /**
     * @param bandwidthBytesPerSecond bytes per second from the cache into GPU memory
     */
    public static Result run(Trace trace, ModelShape model, Retention retention, double bandwidthBytesPerSecond) {
        long t0 = System.nanoTime();
        int bt = trace.blockTokens();
        long blockBytes = model.blockBytes(bt);
        long snapBytes = model.snapshotBytes();
        int[] chain = new int[16];
        double[] ttft = new double[trace.requests()];
        long tokens = 0;
        long hitTokens = 0;
        double flops = 0;
        double saved = 0;
        for (int r = 0; r < trace.requests(); r++) {
            int s = trace.start(r);
            int n = Math.min(trace.end(r) - s, trace.inputTokens(r) / bt);
            if (chain.length < n) {
                chain = Arrays.copyOf(chain, Math.max(n, chain.length * 2));
            }
            for (int j = 0; j < n; j++) {
                chain[j] = trace.block(s + j);
            }
            int h = retention.lookup(chain, n);
            long in = trace.inputTokens(r);
            long hitTok = (long) h * bt;
            double all = model.prefillFlops(in);
            double skipped = model.prefillFlops(hitTok);
            tokens += in;
            hitTokens += hitTok;
            flops += all;
            saved += skipped;
            double transfer = h == 0 ? 0 : (h * blockBytes + snapBytes) / bandwidthBytesPerSecond;
            ttft[r] = (all - skipped) / model.prefillFlopsPerSecond() + transfer;
            retention.record(chain, n, h);
        }
        double mean = Arrays.stream(ttft).average().orElse(0);
        Arrays.sort(ttft);
        double p99 = ttft.length == 0 ? 0 : ttft[Math.max(0, (int) Math.ceil(0.99 * ttft.length) - 1)];
        return new Result(tokens == 0 ? 0 : (double) hitTokens / tokens, flops == 0 ? 0 : saved / flops, mean, p99,
                retention.snapshotsWritten(), retention.evictions(), System.nanoTime() - t0);
    }
}
