package io.kvstore.bench.trace;

import java.util.Arrays;
import java.util.Objects;

/**
 * A prefix-cache trace held in flat arrays: requests in replay order, each a chain of blocks named by dense
 * integer ids ({@code 0 .. uniqueBlocks-1}). Ids are prefix-chained: the same id always means the same block and
 * the same blocks before it, so a block's parent is the block before it in any request that holds it. Immutable
 * after construction; safe to share between threads.
 */
public final class Trace {
    private final String name;
    private final int blockTokens;
    private final int[] requestStart;
    private final int[] blocks;
    private final int[] inputTokens;
    private final long[] timeMillis;
    private final int[] session;
    private final int uniqueBlocks;
    private final int sessions;

    /**
     * @param name         what the trace is (file name, merge description)
     * @param blockTokens  tokens per full block
     * @param requestStart for each request, the index of its first block in {@code blocks}; one more entry at the
     *                     end holding {@code blocks.length}
     * @param blocks       dense block ids, request after request
     * @param inputTokens  each request's prompt length in tokens
     * @param timeMillis   each request's arrival time, non-decreasing
     * @param session      each request's session (conversation or agent session), dense from 0
     */
    public Trace(String name, int blockTokens, int[] requestStart, int[] blocks, int[] inputTokens, long[] timeMillis,
                 int[] session) {
        this.name = Objects.requireNonNull(name);
        if (blockTokens < 1) {
            throw new IllegalArgumentException("blockTokens must be >= 1, was " + blockTokens);
        }
        int n = inputTokens.length;
        if (requestStart.length != n + 1 || timeMillis.length != n || session.length != n
                || requestStart[n] != blocks.length) {
            throw new IllegalArgumentException("inconsistent trace arrays");
        }
        this.blockTokens = blockTokens;
        this.requestStart = requestStart;
        this.blocks = blocks;
        this.inputTokens = inputTokens;
        this.timeMillis = timeMillis;
        this.session = session;
        int max = -1;
        for (int b : blocks) {
            if (b < 0) {
                throw new IllegalArgumentException("block ids must be dense and >= 0");
            }
            max = Math.max(max, b);
        }
        this.uniqueBlocks = max + 1;
        this.sessions = Arrays.stream(session).max().orElse(-1) + 1;
    }

    public String name() {
        return name;
    }

    /** Tokens per full block. */
    public int blockTokens() {
        return blockTokens;
    }

    /** Number of requests. */
    public int requests() {
        return inputTokens.length;
    }

    /** Number of block accesses, summed over requests. */
    public int accesses() {
        return blocks.length;
    }

    /** Number of distinct blocks. */
    public int uniqueBlocks() {
        return uniqueBlocks;
    }

    /** Number of sessions. */
    public int sessions() {
        return sessions;
    }

    /** Index of request {@code r}'s first block in the access sequence. */
    public int start(int r) {
        return requestStart[r];
    }

    /** One past the index of request {@code r}'s last block. */
    public int end(int r) {
        return requestStart[r + 1];
    }

    /** The block id at access index {@code i}. */
    public int block(int i) {
        return blocks[i];
    }

    /** Request {@code r}'s prompt length in tokens. */
    public int inputTokens(int r) {
        return inputTokens[r];
    }

    /** Request {@code r}'s arrival time in ms. */
    public long timeMillis(int r) {
        return timeMillis[r];
    }

    /** Request {@code r}'s session. */
    public int session(int r) {
        return session[r];
    }

    /**
     * Tokens in block {@code j} (0-based within request {@code r}): a full block, or the remainder when the
     * request's last block covers fewer than {@link #blockTokens()} tokens.
     */
    public int tokens(int r, int j) {
        int covered = (j + 1) * blockTokens;
        return covered <= inputTokens[r] ? blockTokens : Math.max(1, inputTokens[r] - j * blockTokens);
    }

    /** True if block {@code j} of request {@code r} is a trailing partial block. */
    public boolean partial(int r, int j) {
        return (j + 1) * blockTokens > inputTokens[r];
    }

    /**
     * For each access, the index of the next access of the same block, or {@code Integer.MAX_VALUE}. What an
     * offline optimum needs; O(accesses) time and memory.
     */
    public int[] nextAccess() {
        int[] next = new int[blocks.length];
        int[] seen = new int[uniqueBlocks];
        Arrays.fill(seen, Integer.MAX_VALUE);
        for (int i = blocks.length - 1; i >= 0; i--) {
            next[i] = seen[blocks[i]];
            seen[blocks[i]] = i;
        }
        return next;
    }
}
