package io.kvstore.bench.hybrid;

import java.util.Arrays;

/**
 * kvstore's retention for hybrid models: snapshots where reuse is likely, eviction by prefill FLOPs saved per byte
 * held together with recency, and no dead weight.
 *
 * <h2>Why</h2>
 * A recurrent layer's state is updated in place, so a hybrid model can resume a prefix only from a snapshot taken
 * exactly at its end. Keeping one at every block boundary (what engines do today) fills the cache with large
 * snapshots that are almost never used: only the snapshot at the exact point where a later request diverges or
 * continues is. This follows Marconi (Pan et al., MLSys'25, arXiv 2411.19379) at block granularity.
 *
 * <h2>Admission</h2>
 * Every full block of a request is kept (attention needs all of them from the start), but a snapshot is admitted at
 * two kinds of points only: the end of the request's input (its last full block: the next turn of a conversation or
 * an agent session re-sends it and continues) and the <em>branch point</em>, the last block of the longest prefix the
 * request shares with any earlier request (a prefix seen with two continuations is a node of the prefix tree that
 * later requests are likely to share too). The history of seen prefixes is one bit per block id, kept after the
 * blocks are evicted. The end of a request's output is modelled by the end of its input (the traces carry no block
 * ids for output tokens). Optionally, {@code checkpointEvery > 0} also writes a <em>checkpoint</em> snapshot every
 * that many blocks of the part of a request never seen before, ranked at {@code checkpointWeight} of its FLOPs per
 * byte: cheap insurance for the first request that branches off there, first to go when space is short.
 *
 * <h2>Spare room</h2>
 * With {@code spareEvery > 0}, room that nothing else wants is used too: until the cache first has to evict, after a
 * request is recorded, <em>spare</em> snapshots are written every {@code spareEvery} blocks of the part of the request
 * never seen before, as long as each fits. A spare snapshot is the first victim (the least recent spare first)
 * whenever room is needed, so it never costs a reuse-point snapshot or a block its place; a hit or a branch on it
 * makes it an ordinary snapshot. It helps a cache that is not full yet (large capacities), where the first request
 * that branches off a prefix seen once would otherwise find no snapshot there. After the first eviction none is
 * written: the room an eviction leaves over is short-lived, and spares written into it would only be evicted again
 * (snapshot writes for nothing).
 *
 * <h2>Eviction</h2>
 * Only snapshots are ranked, with Marconi's score: {@code recency + alpha x efficiency}, each normalised to
 * {@code [0, 1]} over the snapshots held (min-max). Recency is the request count at the snapshot's last admission or
 * hit. Efficiency is the logarithm of the prefill FLOPs a hit on the snapshot saves (the whole prefix, attention's
 * quadratic term included) per byte its eviction frees: the snapshot plus the attention blocks nothing else needs
 * (the blocks up to the nearest ancestor another snapshot depends on). The logarithm keeps one outlier (a deep
 * snapshot whose prefix is shared, so that it frees only its own bytes) from flattening everyone else's efficiency
 * to zero; the normalisation bounds what efficiency can buy to {@code alpha} of the whole recency range, so a
 * valuable snapshot that is never used again still ages out. The lowest score is evicted (a scan over the snapshots
 * held; there are few, since they are admitted sparingly).
 *
 * <h2>No dead weight</h2>
 * Each held block counts the snapshots at or below it. A block whose count drops to zero can serve no resume point,
 * so it is dropped with the snapshot that was its last dependant; since blocks are dropped only that way, a held
 * snapshot always has every block before it (a snapshot is never kept without the blocks it needs).
 *
 * <p>Single-threaded; one per replay.
 */
public final class ReusePointRetention implements Retention {
    /** The weight of efficiency against recency in the eviction score (Marconi's alpha). */
    public static final double DEFAULT_ALPHA = 0.5;
    /** Spare snapshots every this many blocks of new input, while they fit without an eviction. */
    public static final int DEFAULT_SPARE_EVERY = 4;

    private final long capacityBytes;
    private final long blockBytes;
    private final long snapshotBytes;
    private final int blockTokens;
    private final ModelShape model;
    private final double alpha;
    private final int checkpointEvery;
    private final double checkpointWeight;
    private final int spareEvery;
    private final boolean[] present;
    private final boolean[] snapshot;
    private final boolean[] seen;
    private final boolean[] spare;
    private final int[] dependants;
    private final int[] parent;
    private final int[] depth;
    private final double[] logEfficiency;
    private final long[] lastUse;
    private final int[] slot;
    private final int[] held;
    private int heldSnapshots;
    private long clock;
    private long heldBytes;
    private long evictions;
    private long snapshots;

    /**
     * @param model            a hybrid model (block and snapshot bytes, prefill FLOPs)
     * @param blockTokens      tokens per block
     * @param uniqueBlocks     number of distinct block ids of the trace
     * @param capacityBytes    bytes the cache may hold
     * @param alpha            weight of efficiency against recency, {@code >= 0}
     * @param checkpointEvery  a checkpoint snapshot every this many blocks of never-seen input; 0 for none
     * @param checkpointWeight the factor on a checkpoint's FLOPs per byte, in {@code (0, 1]}
     * @param spareEvery       a spare snapshot every this many blocks of never-seen input while it fits without an
     *                         eviction; 0 for none
     */
    public ReusePointRetention(ModelShape model, int blockTokens, int uniqueBlocks, long capacityBytes, double alpha,
                               int checkpointEvery, double checkpointWeight, int spareEvery) {
        if (!model.hybrid()) {
            throw new IllegalArgumentException(model.name() + " has no recurrent layers: use lru-every-block");
        }
        if (!(alpha >= 0) || checkpointEvery < 0 || !(checkpointWeight > 0 && checkpointWeight <= 1)
                || spareEvery < 0) {
            throw new IllegalArgumentException("need alpha >= 0, checkpointEvery >= 0, 0 < checkpointWeight <= 1, "
                    + "spareEvery >= 0");
        }
        this.model = model;
        this.capacityBytes = capacityBytes;
        this.blockTokens = blockTokens;
        this.alpha = alpha;
        this.checkpointEvery = checkpointEvery;
        this.checkpointWeight = checkpointWeight;
        this.spareEvery = spareEvery;
        this.blockBytes = model.blockBytes(blockTokens);
        this.snapshotBytes = model.snapshotBytes();
        this.present = new boolean[uniqueBlocks];
        this.snapshot = new boolean[uniqueBlocks];
        this.seen = new boolean[uniqueBlocks];
        this.spare = new boolean[uniqueBlocks];
        this.dependants = new int[uniqueBlocks];
        this.parent = new int[uniqueBlocks];
        this.depth = new int[uniqueBlocks];
        this.logEfficiency = new double[uniqueBlocks];
        this.lastUse = new long[uniqueBlocks];
        this.slot = new int[uniqueBlocks];
        Arrays.fill(slot, -1);
        this.held = new int[uniqueBlocks];
    }

    @Override
    public String name() {
        if (checkpointEvery > 0) {
            return "default-ckpt-" + checkpointEvery;
        }
        return spareEvery == DEFAULT_SPARE_EVERY ? "default" : spareEvery == 0 ? "reuse-points"
                : "default-spare-" + spareEvery;
    }

    @Override
    public int lookup(int[] chain, int n) {
        return resumable(chain, n, present, snapshot);
    }

    /** The deepest resume point of {@code chain[0..n)}: blocks held from the start, a snapshot at its end. */
    static int resumable(int[] chain, int n, boolean[] present, boolean[] snapshot) {
        int best = 0;
        for (int j = 0; j < n && present[chain[j]]; j++) {
            if (snapshot[chain[j]]) {
                best = j + 1;
            }
        }
        return best;
    }

    /** The blocks of {@code chain[0..n)} seen before, contiguously from the start: the branch point's depth. */
    static int seenPrefix(int[] chain, int n, boolean[] seen) {
        int shared = 0;
        while (shared < n && seen[chain[shared]]) {
            shared++;
        }
        return shared;
    }

    @Override
    public void record(int[] chain, int n, int hit) {
        clock++;
        if (n == 0) {
            return;
        }
        int shared = seenPrefix(chain, n, seen);
        for (int j = 0; j < n; j++) {
            int b = chain[j];
            seen[b] = true;
            if (!present[b]) {
                present[b] = true;
                parent[b] = j == 0 ? -1 : chain[j - 1];
                depth[b] = j;
                heldBytes += blockBytes;
            }
        }
        // the deepest first, so that the shallower ones see the blocks they share as shared
        admitOrRefresh(chain[n - 1], 1);
        if (checkpointEvery > 0) {
            for (int j = n - 2; j >= shared; j--) {
                if ((j + 1) % checkpointEvery == 0 && !snapshot[chain[j]]) {
                    admitOrRefresh(chain[j], checkpointWeight);
                }
            }
        }
        if (shared > 0 && shared < n) {
            admitOrRefresh(chain[shared - 1], 1);
        }
        if (hit > 0 && hit != n && hit != shared) {
            admitOrRefresh(chain[hit - 1], 1);
        }
        while (heldBytes > capacityBytes && heldSnapshots > 0) {
            drop(victim());
        }
        // a held block has every block before it (blocks go only with their last snapshot), so present suffices
        boolean room = spareEvery > 0 && evictions == 0;
        for (int j = shared; room && j < n - 1 && heldBytes + snapshotBytes <= capacityBytes; j++) {
            int b = chain[j];
            if ((j + 1) % spareEvery == 0 && present[b] && !snapshot[b]) {
                admitOrRefresh(b, 1);
                spare[b] = true;
            }
        }
    }

    private void admitOrRefresh(int b, double weight) {
        spare[b] = false;
        if (!snapshot[b]) {
            snapshot[b] = true;
            snapshots++;
            heldBytes += snapshotBytes;
            for (int a = b; a >= 0; a = parent[a]) {
                dependants[a]++;
            }
            slot[b] = heldSnapshots;
            held[heldSnapshots++] = b;
        }
        long exclusive = 0;
        for (int a = b; a >= 0 && dependants[a] == 1; a = parent[a]) {
            exclusive++;
        }
        double saved = model.prefillFlops((long) (depth[b] + 1) * blockTokens);
        logEfficiency[b] = Math.log(weight * saved / (snapshotBytes + exclusive * blockBytes));
        lastUse[b] = clock;
    }

    private int victim() {
        int oldestSpare = -1;
        for (int i = 0; i < heldSnapshots; i++) {
            int b = held[i];
            if (spare[b] && (oldestSpare < 0 || lastUse[b] < lastUse[oldestSpare])) {
                oldestSpare = b;
            }
        }
        if (oldestSpare >= 0) {
            return oldestSpare;
        }
        long rMin = Long.MAX_VALUE;
        long rMax = Long.MIN_VALUE;
        double eMin = Double.MAX_VALUE;
        double eMax = -Double.MAX_VALUE;
        for (int i = 0; i < heldSnapshots; i++) {
            int b = held[i];
            rMin = Math.min(rMin, lastUse[b]);
            rMax = Math.max(rMax, lastUse[b]);
            eMin = Math.min(eMin, logEfficiency[b]);
            eMax = Math.max(eMax, logEfficiency[b]);
        }
        double rRange = Math.max(1, rMax - rMin);
        double eRange = Math.max(1e-12, eMax - eMin);
        int best = -1;
        double bestScore = Double.MAX_VALUE;
        for (int i = 0; i < heldSnapshots; i++) {
            int b = held[i];
            double score = (lastUse[b] - rMin) / rRange + alpha * (logEfficiency[b] - eMin) / eRange;
            if (score < bestScore) {
                bestScore = score;
                best = b;
            }
        }
        return best;
    }

    private void drop(int b) {
        int s = slot[b];
        int last = held[--heldSnapshots];
        held[s] = last;
        slot[last] = s;
        slot[b] = -1;
        snapshot[b] = false;
        spare[b] = false;
        heldBytes -= snapshotBytes;
        evictions++;
        for (int a = b; a >= 0; a = parent[a]) {
            if (--dependants[a] == 0) {
                present[a] = false;
                heldBytes -= blockBytes;
                evictions++;
            }
        }
    }

    /**
     * Recounts from scratch, for tests: the bytes of held blocks that no held snapshot needs, plus the bytes of held
     * snapshots missing a block before them, plus any difference from the running byte count (all 0 when sound).
     */
    long deadWeightBytes() {
        int[] need = new int[present.length];
        long bad = 0;
        long total = 0;
        for (int b = 0; b < snapshot.length; b++) {
            if (snapshot[b]) {
                total += snapshotBytes;
                for (int a = b; a >= 0; a = parent[a]) {
                    if (!present[a]) {
                        bad += snapshotBytes;
                        break;
                    }
                    need[a]++;
                }
            }
        }
        for (int b = 0; b < present.length; b++) {
            if (present[b]) {
                total += blockBytes;
                if (need[b] == 0) {
                    bad += blockBytes;
                }
            }
        }
        return bad + Math.abs(total - heldBytes);
    }

    @Override
    public long heldBytes() {
        return heldBytes;
    }

    @Override
    public long evictions() {
        return evictions;
    }

    @Override
    public long snapshotsWritten() {
        return snapshots;
    }
}
