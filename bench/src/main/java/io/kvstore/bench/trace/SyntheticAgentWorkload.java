package io.kvstore.bench.trace;

import java.util.SplittableRandom;

/**
 * A seeded synthetic agent workload: multi-turn sessions that share a system prompt and one of a few tool-definition
 * sets, each turn re-sending the whole growing context (previous turns plus a new tool result or user message),
 * as coding agents do. Sessions start at uniform random times within the span and think for a random time
 * between turns; requests are merged by time. The same parameters and seed always give the same trace.
 *
 * @param sessions         number of agent sessions
 * @param meanTurns        mean turns per session (geometric, at least 1)
 * @param blockTokens      tokens per block
 * @param systemTokens     system prompt length, shared by every session
 * @param toolSets         number of distinct tool-definition sets (each session uses one)
 * @param toolTokens       length of a tool-definition set
 * @param meanTurnTokens   mean tokens a turn appends to the context (exponential)
 * @param maxContextTokens context cap; a session ends when it would pass it
 * @param spanMillis       window in which sessions start
 * @param meanThinkMillis  mean time between a session's turns (exponential)
 */
public record SyntheticAgentWorkload(int sessions, int meanTurns, int blockTokens, int systemTokens, int toolSets,
                                     int toolTokens, int meanTurnTokens, int maxContextTokens, long spanMillis,
                                     long meanThinkMillis) {

    public SyntheticAgentWorkload {
        if (sessions < 1 || meanTurns < 1 || blockTokens < 1 || systemTokens < 0 || toolSets < 1 || toolTokens < 0
                || meanTurnTokens < 1 || maxContextTokens < blockTokens || spanMillis < 1 || meanThinkMillis < 0) {
            throw new IllegalArgumentException("bad synthetic workload parameters: " + this);
        }
    }

    /** 200 sessions of about 20 turns, 64-token blocks, 4K-token system prompt, 4 tool sets of 12K tokens. */
    public static SyntheticAgentWorkload defaults() {
        return new SyntheticAgentWorkload(200, 20, 64, 4096, 4, 12288, 2000, 200_000, 3_600_000, 20_000);
    }

    /** Generates the trace. */
    public Trace generate(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] startBlocks = new int[sessions];
        long[][] times = new long[sessions][];
        int[][] inputs = new int[sessions][];
        int total = 0;
        for (int s = 0; s < sessions; s++) {
            int turns = 1;
            while (turns < 10 * meanTurns && rnd.nextDouble() > 1.0 / meanTurns) {
                turns++;
            }
            long t = (long) (rnd.nextDouble() * spanMillis);
            int ctx = systemTokens + toolTokens;
            long[] ts = new long[turns];
            int[] in = new int[turns];
            int n = 0;
            for (int k = 0; k < turns; k++) {
                ctx += 1 + (int) (-Math.log(1 - rnd.nextDouble()) * meanTurnTokens);
                if (ctx > maxContextTokens) {
                    break;
                }
                ts[n] = t;
                in[n++] = ctx;
                t += (long) (-Math.log(1 - rnd.nextDouble()) * meanThinkMillis);
            }
            times[s] = java.util.Arrays.copyOf(ts, n);
            inputs[s] = java.util.Arrays.copyOf(in, n);
            startBlocks[s] = rnd.nextInt(toolSets);
            total += n;
        }
        // merge by time: (time, session, turn) packed into a sortable order
        long[][] order = new long[total][];
        int i = 0;
        for (int s = 0; s < sessions; s++) {
            for (int k = 0; k < times[s].length; k++) {
                order[i++] = new long[] {times[s][k], s, k};
            }
        }
        java.util.Arrays.sort(order, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0])
                : a[1] != b[1] ? Long.compare(a[1], b[1]) : Long.compare(a[2], b[2]));
        TraceBuilder b = new TraceBuilder(blockTokens);
        long[] ids = new long[maxContextTokens / blockTokens + 1];
        int sysBlocks = systemTokens / blockTokens;
        int sharedBlocks = (systemTokens + toolTokens) / blockTokens;
        for (long[] o : order) {
            int s = (int) o[1];
            int in = inputs[s][(int) o[2]];
            int count = in / blockTokens;
            for (int j = 0; j < count; j++) {
                // ids: scope 0 for the system prompt, 1 + toolSet for the tool block range, 1000 + session beyond
                ids[j] = j < sysBlocks ? j
                        : j < sharedBlocks ? (1L + startBlocks[s]) << 24 | j
                        : (1000L + s) << 24 | j;
            }
            b.add(o[0], s, in, 0, ids, count);
        }
        return b.build("synthetic-agents(seed " + seed + ", " + sessions + " sessions)");
    }
}
