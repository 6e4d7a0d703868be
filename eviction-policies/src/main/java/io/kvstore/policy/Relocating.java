package io.kvstore.policy;

/**
 * A policy whose eviction order rewrites some survivors, as a log-structured flash tier does when it reclaims its
 * oldest region and writes the blocks worth keeping again at the head of the log. The simulator counts these
 * relocations as flash writes.
 */
public interface Relocating {

    /** Blocks rewritten so far to keep them (not counting admissions). */
    long relocations();
}
