package io.kvstore.server.index;

import io.kvstore.server.events.KvEventCodec;

import java.util.Locale;

/**
 * One index over many publishers: block hash → which endpoint holds it, in which medium. A block's entry is a
 * 64-bit mask in a {@link HolderMap}, four bits per endpoint (GPU, CPU_PINNED, DISK, EXTERNAL), so up to
 * {@link #MAX_ENDPOINTS} endpoints and 32 bytes per indexed block at most; {@code maxBlocks} bounds the memory
 * ({@link #footprintBytes()}), and a block stored when the index is full is not indexed (counted). Hashes are
 * 64 bits as the events carry them ({@link KvEventCodec} reduces 32-byte hashes to their last 8 bytes). Events
 * apply in each publisher's sequence order; thread-safe (one lock: an event or a query is a few map probes).
 */
public final class PrefixIndex {

    /** Endpoints one index can hold. */
    public static final int MAX_ENDPOINTS = 16;

    /** Media, in bit order within an endpoint's four bits, and their weight in a score (llm-d's defaults, extended). */
    public enum Medium {
        GPU(1.0), CPU_PINNED(0.8), DISK(0.5), EXTERNAL(0.3);

        final double weight;

        Medium(double weight) {
            this.weight = weight;
        }

        /** The medium an event names; null (older vLLM) is GPU, an unknown name EXTERNAL. */
        static Medium of(String name) {
            if (name == null) {
                return GPU;
            }
            return switch (name.toUpperCase(Locale.ROOT)) {
                case "GPU" -> GPU;
                case "CPU", "CPU_PINNED" -> CPU_PINNED;
                case "DISK" -> DISK;
                default -> EXTERNAL;
            };
        }
    }

    /**
     * What one endpoint holds of a sequence of block hashes.
     *
     * @param blocks leading blocks it holds in any medium
     * @param score  their sum, each weighted by the best medium it is in
     * @param media  of those blocks, how many are in each medium (best medium), indexed by {@link Medium#ordinal()}
     */
    public record Match(int blocks, double score, int[] media) {
    }

    private final HolderMap map;
    private long notIndexed;
    private long applied;

    public PrefixIndex(int maxBlocks) {
        this.map = new HolderMap(maxBlocks);
    }

    /** Applies one event of endpoint {@code ep}. */
    public synchronized void apply(int ep, KvEventCodec.Decoded e) {
        checkEndpoint(ep);
        applied++;
        switch (e.tag()) {
            case "BlockStored" -> {
                long bit = bit(ep, Medium.of(e.medium()));
                for (long h : e.hashes()) {
                    if (!map.update(h, m -> m | bit)) {
                        notIndexed++;
                    }
                }
            }
            case "BlockRemoved" -> {
                long bit = bit(ep, Medium.of(e.medium()));
                for (long h : e.hashes()) {
                    map.update(h, m -> m & ~bit);
                }
            }
            case "AllBlocksCleared" -> clearLocked(ep);
            default -> {
                // a kind this index does not know changes nothing
            }
        }
    }

    /** Forgets everything endpoint {@code ep} held. */
    public synchronized void clear(int ep) {
        checkEndpoint(ep);
        clearLocked(ep);
    }

    private void clearLocked(int ep) {
        long keep = ~(0xFL << (4 * ep));
        map.updateAll(m -> m & keep);
    }

    /** For each of the first {@code endpoints} endpoints, the leading run of {@code hashes} it holds. */
    public synchronized Match[] match(long[] hashes, int endpoints) {
        Match[] out = new Match[endpoints];
        for (int ep = 0; ep < endpoints; ep++) {
            int[] media = new int[Medium.values().length];
            double score = 0;
            int n = 0;
            for (long h : hashes) {
                int bits = (int) (map.get(h) >>> (4 * ep)) & 0xF;
                if (bits == 0) {
                    break;
                }
                Medium best = Medium.values()[Integer.numberOfTrailingZeros(bits)];
                media[best.ordinal()]++;
                score += best.weight;
                n++;
            }
            out[ep] = new Match(n, score, media);
        }
        return out;
    }

    /** Blocks indexed. */
    public synchronized int size() {
        return map.size();
    }

    /** The bound on indexed blocks. */
    public int capacity() {
        return map.capacity();
    }

    /** Memory of the index's arrays (allocated up front for {@code maxBlocks}). */
    public long footprintBytes() {
        return map.footprintBytes();
    }

    /** BlockStored hashes not indexed because the index was full. */
    public synchronized long notIndexed() {
        return notIndexed;
    }

    /** Events applied. */
    public synchronized long applied() {
        return applied;
    }

    private static long bit(int ep, Medium m) {
        return 1L << (4 * ep + m.ordinal());
    }

    private static void checkEndpoint(int ep) {
        if (ep < 0 || ep >= MAX_ENDPOINTS) {
            throw new IllegalArgumentException("endpoint index must be in 0.." + (MAX_ENDPOINTS - 1) + ", was " + ep);
        }
    }
}
