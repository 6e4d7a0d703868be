package io.kvstore.bench.hybrid;

/**
 * One retention at one capacity on one model: a row of the text table and a record of the JSON report (field names
 * are the JSON keys).
 *
 * @param model                        the model preset
 * @param policy                       the retention's name
 * @param capacity                     the capacity as given
 * @param capacity_bytes               the capacity in bytes
 * @param capacity_fraction            capacity_bytes over the bytes of every unique block with a snapshot at each
 *                                     (for a Transformer: every unique block), the footprint that holds the whole
 *                                     trace under every-block retention
 * @param token_hit_ratio              prompt tokens the engine could resume after, over all prompt tokens
 * @param prefill_flops_saved_fraction prefill FLOPs those hits skip, over the prefill FLOPs of all prompts
 * @param mean_ttft_seconds            modelled mean time to first token
 * @param p99_ttft_seconds             modelled 99th percentile time to first token
 * @param snapshots_written            snapshots admitted into the cache
 * @param evictions                    blocks and snapshots dropped
 * @param seconds                      wall time of the replay
 */
public record HybridRecord(String model, String policy, String capacity, long capacity_bytes, double capacity_fraction,
                           double token_hit_ratio, double prefill_flops_saved_fraction, double mean_ttft_seconds,
                           double p99_ttft_seconds, long snapshots_written, long evictions, double seconds) {
}
