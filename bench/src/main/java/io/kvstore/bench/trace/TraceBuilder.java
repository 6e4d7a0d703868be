package io.kvstore.bench.trace;

import java.util.Arrays;

/**
 * Accumulates requests and renames their block ids to dense ints (0, 1, ...) in order of first appearance.
 * Ids are scoped: the same raw id in two scopes (sessions of a trace whose ids are session-local) is two
 * blocks. Not thread-safe; one builder per trace.
 */
public final class TraceBuilder {
    private final int blockTokens;
    private long[] slotKeys = new long[1 << 16];
    private int[] slotValues = new int[1 << 16];
    private int distinct;
    private int[] requestStart = new int[1024];
    private int[] blocks = new int[1 << 16];
    private int[] inputTokens = new int[1024];
    private long[] timeMillis = new long[1024];
    private int[] session = new int[1024];
    private int requests;
    private int accesses;

    public TraceBuilder(int blockTokens) {
        this.blockTokens = blockTokens;
    }

    /** Tokens per full block. */
    public int blockTokens() {
        return blockTokens;
    }

    /**
     * Adds one request.
     *
     * @param scope   id scope (0 for globally unique ids; a session number for session-local ids), < 2^31
     * @param rawIds  the request's block ids, in chain order
     * @param count   how many of {@code rawIds} to use
     */
    public void add(long timeMillis, int session, int inputTokens, int scope, long[] rawIds, int count) {
        if (requests == inputTokens().length) {
            int n = requests * 2;
            requestStart = Arrays.copyOf(requestStart, n + 1);
            this.inputTokens = Arrays.copyOf(this.inputTokens, n);
            this.timeMillis = Arrays.copyOf(this.timeMillis, n);
            this.session = Arrays.copyOf(this.session, n);
        }
        if (accesses + count > blocks.length) {
            blocks = Arrays.copyOf(blocks, Math.max(accesses + count, blocks.length * 2));
        }
        requestStart[requests] = accesses;
        this.inputTokens[requests] = inputTokens;
        this.timeMillis[requests] = timeMillis;
        this.session[requests] = session;
        requests++;
        for (int i = 0; i < count; i++) {
            blocks[accesses++] = denseId(((long) scope << 32) ^ rawIds[i]);
        }
    }

    /** Open-addressing lookup of a raw key's dense id (values stored plus one; 0 marks an empty slot). */
    private int denseId(long key) {
        int mask = slotKeys.length - 1;
        int i = slot(key) & mask;
        while (slotValues[i] != 0) {
            if (slotKeys[i] == key) {
                return slotValues[i] - 1;
            }
            i = (i + 1) & mask;
        }
        slotKeys[i] = key;
        slotValues[i] = ++distinct;
        if (distinct * 2 > slotKeys.length) {
            grow();
        }
        return distinct - 1;
    }

    private static int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) ^ (int) h;
    }

    private void grow() {
        long[] oldKeys = slotKeys;
        int[] oldValues = slotValues;
        slotKeys = new long[oldKeys.length * 2];
        slotValues = new int[oldKeys.length * 2];
        int mask = slotKeys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldValues[j] != 0) {
                int i = slot(oldKeys[j]) & mask;
                while (slotValues[i] != 0) {
                    i = (i + 1) & mask;
                }
                slotKeys[i] = oldKeys[j];
                slotValues[i] = oldValues[j];
            }
        }
    }

    private int[] inputTokens() {
        return inputTokens;
    }

    /** The trace; the builder must not be used afterwards. */
    public Trace build(String name) {
        int[] starts = Arrays.copyOf(requestStart, requests + 1);
        starts[requests] = accesses;
        return new Trace(name, blockTokens, starts, Arrays.copyOf(blocks, accesses),
                Arrays.copyOf(inputTokens, requests), Arrays.copyOf(timeMillis, requests),
                Arrays.copyOf(session, requests));
    }
}
