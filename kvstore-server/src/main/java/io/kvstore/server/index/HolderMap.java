package io.kvstore.server.index;

import java.util.function.LongUnaryOperator;

/**
 * Block hash (64 bits) → holder mask (64 bits: which endpoint holds it in which medium, {@link PrefixIndex}), in
 * two parallel {@code long} arrays with open addressing and linear probing: 16 bytes per slot, at most
 * {@code capacity} entries in {@code 2 x capacity} slots (rounded up to a power of two), so 32 bytes per indexed
 * block at the bound and no object per entry. A mask of 0 means the slot is free; removal shifts the probe chain
 * back instead of leaving tombstones. Not thread-safe.
 */
final class HolderMap {

    private final long[] keys;
    private final long[] masks;
    private final int mask;
    private final int capacity;
    private int size;

    HolderMap(int capacity) {
        if (capacity < 1 || capacity > (1 << 29)) {
            throw new IllegalArgumentException("capacity must be in 1..2^29, was " + capacity);
        }
        int slots = Integer.highestOneBit(Math.max(2, capacity * 2 - 1)) << 1;
        this.keys = new long[slots];
        this.masks = new long[slots];
        this.mask = slots - 1;
        this.capacity = capacity;
    }

    int size() {
        return size;
    }

    int capacity() {
        return capacity;
    }

    /** Bytes the two arrays take. */
    long footprintBytes() {
        return 16L * keys.length;
    }

    long get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (masks[i] == 0) {
                return 0;
            }
            if (keys[i] == key) {
                return masks[i];
            }
        }
    }

    /**
     * Replaces the key's mask by {@code f(old)} (old = 0 when absent); a result of 0 removes it. Returns false if
     * the key is new and the map is full (nothing changes).
     */
    boolean update(long key, LongUnaryOperator f) {
        int i = slot(key);
        while (masks[i] != 0 && keys[i] != key) {
            i = (i + 1) & mask;
        }
        long old = masks[i];
        long now = f.applyAsLong(old);
        if (now == old) {
            return true;
        }
        if (old == 0) {
            if (size >= capacity) {
                return false;
            }
            keys[i] = key;
            masks[i] = now;
            size++;
        } else if (now != 0) {
            masks[i] = now;
        } else {
            remove(i);
        }
        return true;
    }

    /** Applies {@code f} to every mask (removing those that become 0). */
    void updateAll(LongUnaryOperator f) {
        for (int i = 0; i < masks.length; i++) {
            while (masks[i] != 0) {
                long now = f.applyAsLong(masks[i]);
                if (now != 0) {
                    masks[i] = now;
                    break;
                }
                remove(i); // shifts a later entry into i: look at it again
            }
        }
    }

    private void remove(int hole) {
        size--;
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            if (masks[i] == 0) {
                break;
            }
            int home = slot(keys[i]);
            // move i back into the hole unless its home lies cyclically in (hole, i]
            boolean stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
            if (!stays) {
                keys[hole] = keys[i];
                masks[hole] = masks[i];
                hole = i;
            }
        }
        masks[hole] = 0;
        keys[hole] = 0;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
