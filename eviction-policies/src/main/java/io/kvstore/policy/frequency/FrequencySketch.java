package io.kvstore.policy.frequency;

/**
 * A count-min sketch of 4-bit counters with periodic halving (the TinyLFU frequency estimate, after Einziger et
 * al. and Caffeine's {@code FrequencySketch}): {@link #increment} adds one to four counters of a key, {@link
 * #frequency} reads their minimum (0..15). After {@code 10 x width} increments every counter is halved, so old
 * popularity fades. Memory is fixed at creation. Not thread-safe.
 */
public final class FrequencySketch {
    private static final long SEED0 = 0x9E3779B97F4A7C15L;
    private static final long[] SEEDS = {0xC3A5C85C97CB3127L, 0xB492B66FBE98F273L, 0x9AE16A3B2F90404FL,
        0xCBF29CE484222325L};

    private final long[] table;
    private final int mask;
    private final int sampleSize;
    private int additions;

    /** A sketch sized for about {@code expectedEntries} distinct hot keys. */
    /**
     * At most 4M words (32 MiB, 64M four-bit counters): enough for caches of tens of millions of blocks, and a
     * bound on what a mis-sized tier (say, bytes taken for blocks) can cost.
     */
    static final int MAX_COUNTER_WORDS = 1 << 22;

    public FrequencySketch(long expectedEntries) {
        int n = (int) Math.min(MAX_COUNTER_WORDS, Math.max(64, Long.highestOneBit(Math.max(1, expectedEntries - 1)) << 1));
        this.table = new long[n];
        this.mask = n - 1;
        this.sampleSize = 10 * n;
    }

    private static long spread(Object key) {
        long h = key.hashCode() * SEED0;
        return h ^ (h >>> 29);
    }

    /** The estimated number of recent occurrences of the key, 0..15. */
    public int frequency(Object key) {
        long h = spread(key);
        int min = 15;
        for (int i = 0; i < 4; i++) {
            long hi = (h + SEEDS[i]) * SEEDS[i];
            int slot = (int) (hi >>> 40) & mask;
            int shift = (int) ((hi >>> 3) & 15) << 2;
            min = Math.min(min, (int) ((table[slot] >>> shift) & 0xF));
        }
        return min;
    }

    /** Counts one occurrence of the key. */
    public void increment(Object key) {
        long h = spread(key);
        boolean added = false;
        for (int i = 0; i < 4; i++) {
            long hi = (h + SEEDS[i]) * SEEDS[i];
            int slot = (int) (hi >>> 40) & mask;
            int shift = (int) ((hi >>> 3) & 15) << 2;
            if (((table[slot] >>> shift) & 0xF) != 0xF) {
                table[slot] += 1L << shift;
                added = true;
            }
        }
        if (added && ++additions >= sampleSize) {
            reset();
        }
    }

    private void reset() {
        for (int i = 0; i < table.length; i++) {
            table[i] = (table[i] >>> 1) & 0x7777777777777777L;
        }
        additions /= 2;
    }
}
