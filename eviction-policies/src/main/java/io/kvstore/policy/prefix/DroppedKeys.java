package io.kvstore.policy.prefix;

/**
 * The keys {@link AdaptivePrefixPolicy} dropped (evicted or refused) recently, so that it can refuse a block whose
 * parent it dropped: a direct-mapped table of 32-bit fingerprints, one {@code int} per slot, slots a power of two
 * of at least a quarter of the capacity in blocks (1 to 2 bytes per block). A newer key that maps to the same slot
 * overwrites an older one, so the memory is lossy by design: it is exact for what matters most, a parent dropped
 * just before its child is offered (the store offers a request's blocks in chain order, so a refused parent is
 * followed at once by its child), and forgets older drops at random rather than in FIFO order. A false positive
 * (another key with the same slot and fingerprint) has a probability of about 2^-32. Not thread-safe.
 */
final class DroppedKeys {
    private final int[] slots;
    private final int mask;

    DroppedKeys(long capacityBlocks) {
        int n = (int) Math.min(1 << 26, Math.max(64, Long.highestOneBit(Math.max(1, capacityBlocks - 1)) << 1) / 4);
        this.slots = new int[Math.max(64, n)];
        this.mask = slots.length - 1;
    }

    private static long mix(Object key) {
        long h = key.hashCode() * 0xC2B2AE3D27D4EB4FL;
        return h ^ (h >>> 29);
    }

    private static int fingerprint(long h) {
        return (int) (h >>> 32) | 1; // never 0, the empty slot
    }

    void add(Object key) {
        long h = mix(key);
        slots[(int) h & mask] = fingerprint(h);
    }

    void remove(Object key) {
        long h = mix(key);
        int i = (int) h & mask;
        if (slots[i] == fingerprint(h)) {
            slots[i] = 0;
        }
    }

    boolean contains(Object key) {
        long h = mix(key);
        return slots[(int) h & mask] == fingerprint(h);
    }
}
