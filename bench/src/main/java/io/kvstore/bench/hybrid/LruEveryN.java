package io.kvstore.bench.hybrid;

/**
 * The baseline retention of today's engines: every block is kept with its attention KV and, at every
 * {@code every}-th block boundary, a recurrent state snapshot (vLLM keeps Mamba state at block-size multiples; with
 * {@code every > 1}, the sparsified variant that keeps one in N). Block and snapshot form one unit, evicted in LRU
 * order by bytes. A request touches its blocks from the last to the first, so that within a request the tail is
 * evicted before the head, as vLLM frees a finished request's blocks. Nothing is done about dead weight: a unit whose
 * parent is gone stays until LRU reaches it. For a Transformer (no recurrent layers) this is a plain prefix LRU.
 */
public final class LruEveryN implements Retention {
    private final int every;
    private final boolean hybrid;
    private final long capacityBytes;
    private final long blockBytes;
    private final long snapshotBytes;
    private final boolean[] present;
    private final int[] prev;
    private final int[] next;
    private final long[] weight;
    private final int head; // sentinel: next[head] is the least recent, prev[head] the most recent
    private long held;
    private long evictions;
    private long snapshots;

    /**
     * @param every         a snapshot at every block boundary whose position (1-based) is a multiple of this
     * @param model         the model (block and snapshot bytes, whether snapshots exist at all)
     * @param blockTokens   tokens per block
     * @param uniqueBlocks  number of distinct block ids of the trace
     * @param capacityBytes bytes the cache may hold
     */
    public LruEveryN(int every, ModelShape model, int blockTokens, int uniqueBlocks, long capacityBytes) {
        if (every < 1) {
            throw new IllegalArgumentException("every must be >= 1, was " + every);
        }
        this.every = every;
        this.hybrid = model.hybrid();
        this.capacityBytes = capacityBytes;
        this.blockBytes = model.blockBytes(blockTokens);
        this.snapshotBytes = model.snapshotBytes();
        this.present = new boolean[uniqueBlocks];
        this.prev = new int[uniqueBlocks + 1];
        this.next = new int[uniqueBlocks + 1];
        this.weight = new long[uniqueBlocks];
        this.head = uniqueBlocks;
        prev[head] = head;
        next[head] = head;
    }

    @Override
    public String name() {
        return every == 1 ? "lru-every-block" : "lru-every-" + every;
    }

    private boolean resumePoint(int position) {
        return !hybrid || (position + 1) % every == 0;
    }

    @Override
    public int lookup(int[] chain, int n) {
        int best = 0;
        for (int j = 0; j < n && present[chain[j]]; j++) {
            if (resumePoint(j)) {
                best = j + 1;
            }
        }
        return best;
    }

    @Override
    public void record(int[] chain, int n, int hit) {
        for (int j = n - 1; j >= 0; j--) {
            int b = chain[j];
            if (present[b]) {
                unlink(b);
            } else {
                present[b] = true;
                boolean snap = hybrid && resumePoint(j);
                weight[b] = blockBytes + (snap ? snapshotBytes : 0);
                held += weight[b];
                if (snap) {
                    snapshots++;
                }
            }
            linkMostRecent(b);
        }
        while (held > capacityBytes && next[head] != head) {
            int victim = next[head];
            unlink(victim);
            present[victim] = false;
            held -= weight[victim];
            evictions++;
        }
    }

    private void unlink(int b) {
        next[prev[b]] = next[b];
        prev[next[b]] = prev[b];
    }

    private void linkMostRecent(int b) {
        int last = prev[head];
        next[last] = b;
        prev[b] = last;
        next[b] = head;
        prev[head] = b;
    }

    @Override
    public long heldBytes() {
        return held;
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
