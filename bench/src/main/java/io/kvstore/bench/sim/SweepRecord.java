package io.kvstore.bench.sim;

import java.util.Map;

/**
 * One policy at one capacity: the row of the text table and the record of the JSON report (field names are the
 * JSON keys).
 *
 * @param policy                the policy's registry name
 * @param capacity              the capacity as given
 * @param capacity_blocks       capacity in blocks
 * @param capacity_fraction     capacity as a fraction of the trace's unique blocks
 * @param hit_ratio_blocks      prefix hit ratio by blocks
 * @param hit_ratio_tokens      prefix hit ratio by tokens
 * @param opt_hit_ratio_blocks  Bélády OPT's block hit ratio at the same capacity, or NaN if not run
 * @param ratio_to_opt          hit_ratio_blocks / opt_hit_ratio_blocks, or NaN
 * @param hits_per_tier         prefix-hit blocks per tier
 * @param evictions             blocks dropped from the store
 * @param refused               admissions the policy refused
 * @param seconds               wall time of the replay
 */
public record SweepRecord(String policy, String capacity, long capacity_blocks, double capacity_fraction,
                          double hit_ratio_blocks, double hit_ratio_tokens, double opt_hit_ratio_blocks,
                          double ratio_to_opt, Map<String, Long> hits_per_tier, long evictions, long refused,
                          double seconds) {
}
