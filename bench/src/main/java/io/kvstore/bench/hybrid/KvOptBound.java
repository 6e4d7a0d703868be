package io.kvstore.bench.hybrid;

import io.kvstore.bench.trace.Trace;

import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * An offline upper bound on the token hit ratio of any retention, hybrid or not, at a byte capacity: Bélády's MIN
 * (evict the block used farthest in the future, bypass a block used again later than every held one) over the
 * attention blocks alone, with as many blocks as the capacity holds of attention KV and no byte for snapshots.
 *
 * <p>Why it bounds every retention: a resume after {@code h} blocks needs those {@code h} blocks held when the
 * request arrives, so every resumed token is a block that was held at its access. MIN with bypass maximises the
 * number of accesses that find their block held, for objects of one size, over every policy that may store a block
 * only when it is accessed. Snapshots only take bytes away and a prefix hit only counts fewer blocks, so the bound
 * is loose: it counts held blocks past a missing one, and resumes with no snapshot at all.
 *
 * <p>Only the token hit ratio of its rows means something (the FLOPs and TTFT columns treat the counted blocks as
 * a prefix). Looks ahead: {@link #lookup} serves the request (counts and stores its blocks) and {@link #record}
 * checks that the replay is the one it was built for. Single-threaded; one per replay.
 */
public final class KvOptBound implements Retention {
    private final long capacityBlocks;
    private final long blockBytes;
    private final int[] sequence;
    private final int[] nextUse;
    private final boolean[] present;
    private final int[] due;
    private final PriorityQueue<long[]> farthest = new PriorityQueue<>((a, b) -> Long.compare(b[0], a[0]));
    private int cursor;
    private long held;
    private long evictions;

    /**
     * @param trace         the trace that will be replayed (the requests' full blocks, in order)
     * @param model         the model (attention KV bytes per block)
     * @param capacityBytes bytes the cache may hold
     */
    public KvOptBound(Trace trace, ModelShape model, long capacityBytes) {
        int bt = trace.blockTokens();
        this.blockBytes = model.blockBytes(bt);
        this.capacityBlocks = capacityBytes / blockBytes;
        int count = 0;
        for (int r = 0; r < trace.requests(); r++) {
            count += fullBlocks(trace, r);
        }
        this.sequence = new int[count];
        int p = 0;
        for (int r = 0; r < trace.requests(); r++) {
            for (int j = 0, n = fullBlocks(trace, r); j < n; j++) {
                sequence[p++] = trace.block(trace.start(r) + j);
            }
        }
        this.nextUse = new int[count];
        int[] seen = new int[trace.uniqueBlocks()];
        Arrays.fill(seen, Integer.MAX_VALUE);
        for (int i = count - 1; i >= 0; i--) {
            nextUse[i] = seen[sequence[i]];
            seen[sequence[i]] = i;
        }
        this.present = new boolean[trace.uniqueBlocks()];
        this.due = new int[trace.uniqueBlocks()];
    }

    /** The full blocks of request {@code r} the replayer looks up (a trailing partial block is never a hit). */
    private static int fullBlocks(Trace trace, int r) {
        return Math.min(trace.end(r) - trace.start(r), trace.inputTokens(r) / trace.blockTokens());
    }

    @Override
    public String name() {
        return "bound-opt-kv";
    }

    /** Serves the request: the number of its blocks MIN held when they were accessed (not a prefix). */
    @Override
    public int lookup(int[] chain, int n) {
        int hits = 0;
        for (int j = 0; j < n; j++) {
            int b = chain[j];
            if (sequence[cursor] != b) {
                throw new IllegalStateException("replayed out of order at access " + cursor);
            }
            int next = nextUse[cursor++];
            if (present[b]) {
                hits++;
            } else if (next != Integer.MAX_VALUE) {
                present[b] = true;
                held++;
            } else {
                continue;
            }
            due[b] = next;
            farthest.add(new long[] {next, b});
            while (held > capacityBlocks) {
                long[] top = farthest.poll();
                int v = (int) top[1];
                if (present[v] && due[v] == top[0]) {
                    present[v] = false;
                    held--;
                    evictions++;
                }
            }
        }
        return hits;
    }

    @Override
    public void record(int[] chain, int n, int hit) {
        // lookup served the request
    }

    @Override
    public long heldBytes() {
        return held * blockBytes;
    }

    @Override
    public long evictions() {
        return evictions;
    }

    @Override
    public long snapshotsWritten() {
        return 0;
    }
}
