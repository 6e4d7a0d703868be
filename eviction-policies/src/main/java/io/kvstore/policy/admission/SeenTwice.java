package io.kvstore.policy.admission;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;

/**
 * Registry name {@code admit2}: a doorkeeper that admits a block on its second offer. The first offer of a key is
 * refused and remembered; an offer of a key remembered from the last {@code window} offers is admitted. For a
 * flash tier this means a DRAM victim is written only if it was already offered recently, i.e. it was requested
 * again after an earlier refusal (or after it left the tier): blocks used once (a one-off conversation's tail, the
 * last turn of a session) are never written.
 *
 * <p>Memory is fixed at creation: two generations of a Bloom filter (4 hash functions, 8 to 16 bits per
 * remembered key), each holding {@code window / 2} offers; when the current one is full it becomes the previous
 * one and the old previous one is cleared. So a key offered within the last {@code window / 2} offers is always
 * remembered (no false negatives), one offered more than {@code window} offers ago never is (bar false positives,
 * a few percent), and in between it depends on the rotation phase. The default window is the tier's capacity in
 * blocks: a block that comes back later than that would mostly have left a FIFO tier anyway. The window is capped
 * at {@link #MAX_WINDOW} offers (32 MiB of bits at most).
 *
 * @param <K> key type
 */
public final class SeenTwice<K> implements AdmissionRule<K> {
    /** Largest window, in offers. */
    public static final long MAX_WINDOW = 1L << 25;
    private static final int HASHES = 4;

    private final long roomBytes;
    private final long generationSize;
    private final int mask;
    private long[] current;
    private long[] previous;
    private long inserted; // offers recorded in the current generation

    /** A doorkeeper remembering about the last {@code window} offers, filtering always. */
    public SeenTwice(long window) {
        this(window, -1);
    }

    /**
     * A doorkeeper remembering about the last {@code window} offers that filters only when the tier is full: while
     * {@code capacityBytes} has room for the candidate it is admitted (and its offer recorded). Registry name
     * {@code admit2-full}. With {@code capacityBytes < 0} it always filters ({@code admit2}).
     */
    public SeenTwice(long window, long capacityBytes) {
        this.roomBytes = capacityBytes;
        long w = Math.max(128, Math.min(MAX_WINDOW, window));
        this.generationSize = w / 2;
        long bits = Long.highestOneBit(generationSize * 8 - 1) << 1; // a power of two, 8..16 bits per key
        this.mask = (int) (bits - 1);
        this.current = new long[(int) (bits >>> 6)];
        this.previous = new long[current.length];
    }

    @Override
    public String name() {
        return roomBytes < 0 ? "admit2" : "admit2-full";
    }

    @Override
    public boolean admit(Candidate<K> candidate, EvictionPolicy<K> inner) {
        boolean seen = seenBefore(candidate.key());
        return seen || (roomBytes >= 0 && inner.weightedSize() + candidate.weight() <= roomBytes);
    }

    /** True if the key was offered within the window; records this offer either way. */
    public boolean seenBefore(Object key) {
        long h = spread(key);
        boolean seen = mightContain(current, h) || mightContain(previous, h);
        add(h);
        return seen;
    }

    /** Memory held, in bytes (fixed at creation). */
    public long memoryBytes() {
        return 8L * (current.length + previous.length);
    }

    /** Offers remembered per generation. */
    public long generationSize() {
        return generationSize;
    }

    private void add(long h) {
        if (inserted == generationSize) {
            long[] t = previous;
            previous = current;
            java.util.Arrays.fill(t, 0);
            current = t;
            inserted = 0;
        }
        int h1 = (int) h;
        int h2 = (int) (h >>> 32) | 1;
        for (int i = 0; i < HASHES; i++) {
            int bit = (h1 + i * h2) & mask;
            current[bit >>> 6] |= 1L << bit;
        }
        inserted++;
    }

    private boolean mightContain(long[] bits, long h) {
        int h1 = (int) h;
        int h2 = (int) (h >>> 32) | 1;
        for (int i = 0; i < HASHES; i++) {
            int bit = (h1 + i * h2) & mask;
            if ((bits[bit >>> 6] & (1L << bit)) == 0) {
                return false;
            }
        }
        return true;
    }

    static long spread(Object key) {
        long z = key.hashCode() * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
