package io.kvstore.bench.hybrid;

import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;

import java.util.List;

/**
 * Reuse-point snapshots under one of the daemon's block eviction policies (a measured alternative to
 * {@link ReusePointRetention}, docs/hybrid.md): the policy sees every held block as one key weighted by its attention
 * KV, plus the snapshot's bytes when a snapshot sits on it, with the chain links of the prefix, and chooses victims
 * (leaf first, with its recency, frequency and admission filter) as it does for a Transformer. Snapshots are admitted
 * at the same likely reuse points (the end of each request's input, the branch point, the block a hit resumed from);
 * a request that extends the previous one's end linearly (nothing else ever followed that block) takes the snapshot
 * away from the old end, which no later request is likely to resume from, and gives its bytes back. A block whose
 * last snapshot at or below it goes is dropped with it, and a refused block ends what the request stores, its end
 * snapshot moving to the deepest block admitted.
 *
 * <p>The policy SPI has no re-weighing: a snapshot added to or taken from a held block is a removal and a new
 * admission of that block, which an admission filter may refuse; the blocks below a refused one then stay until the
 * policy evicts them (held bytes nothing can reach: hits stay exact, some room is wasted).
 *
 * <p>Single-threaded; one per replay.
 */
public final class PolicyRetention implements Retention {
    private final String policyName;
    private final EvictionPolicy<Integer> policy;
    private final long capacityBytes;
    private final long blockBytes;
    private final long snapshotBytes;
    private final boolean[] present;
    private final boolean[] snapshot;
    private final boolean[] seen;
    private final boolean[] hasChild;
    private final int[] dependants;
    private final int[] parent;
    private long evictions;
    private long snapshots;

    /**
     * @param policyName    a registered eviction policy ({@code PolicyRegistry})
     * @param model         a hybrid model (block and snapshot bytes)
     * @param blockTokens   tokens per block
     * @param uniqueBlocks  number of distinct block ids of the trace
     * @param capacityBytes bytes the cache may hold
     */
    public PolicyRetention(String policyName, ModelShape model, int blockTokens, int uniqueBlocks, long capacityBytes) {
        if (!model.hybrid()) {
            throw new IllegalArgumentException(model.name() + " has no recurrent layers: use the policy itself");
        }
        this.policyName = policyName;
        this.capacityBytes = capacityBytes;
        this.blockBytes = model.blockBytes(blockTokens);
        this.snapshotBytes = model.snapshotBytes();
        this.policy = PolicyRegistry.create(policyName, new PolicySpec(capacityBytes, blockBytes, 42));
        this.present = new boolean[uniqueBlocks];
        this.snapshot = new boolean[uniqueBlocks];
        this.seen = new boolean[uniqueBlocks];
        this.hasChild = new boolean[uniqueBlocks];
        this.dependants = new int[uniqueBlocks];
        this.parent = new int[uniqueBlocks];
    }

    @Override
    public String name() {
        return "policy-" + policyName;
    }

    @Override
    public int lookup(int[] chain, int n) {
        return ReusePointRetention.resumable(chain, n, present, snapshot);
    }

    @Override
    public void record(int[] chain, int n, int hit) {
        if (n == 0) {
            return;
        }
        int shared = ReusePointRetention.seenPrefix(chain, n, seen);
        boolean linear = hit > 0 && hit == shared && hit < n && !hasChild[chain[hit - 1]]
                && snapshot[chain[hit - 1]];
        for (int j = 0; j < n; j++) {
            seen[chain[j]] = true;
            if (j > 0) {
                hasChild[chain[j - 1]] = true;
            }
        }
        int m = 0;
        for (int j = 0; j < n; j++) {
            int b = chain[j];
            boolean snap = j == n - 1 || (!linear && ((j == shared - 1 && shared < n) || j == hit - 1));
            if (present[b]) {
                if (snap && !snapshot[b]) {
                    policy.onRemove(b);
                    present[b] = false;
                    if (!admit(chain, j, true)) {
                        // lost the block: its children are unreachable
                        break;
                    }
                } else {
                    policy.onHit(b);
                }
            } else if (!admit(chain, j, snap)) {
                break;
            }
            m = j + 1;
        }
        // a refused block ends what the request stores: the deepest admitted block gets the end snapshot
        if (m > 0 && m < n && !snapshot[chain[m - 1]]) {
            int b = chain[m - 1];
            policy.onRemove(b);
            present[b] = false;
            admit(chain, m - 1, true);
        }
        // a linear extension: the old end's snapshot gives its bytes back (the block stays, for the new end)
        if (linear && m == n && snapshot[chain[n - 1]] && snapshot[chain[hit - 1]]) {
            int b = chain[hit - 1];
            policy.onRemove(b);
            present[b] = false;
            unsnap(b);
            admit(chain, hit - 1, false);
        }
        for (int j = 0; j < m; j++) {
            int b = chain[j];
            if (present[b] && dependants[b] == 0) {
                policy.onRemove(b);
                present[b] = false;
            }
        }
        long over = policy.weightedSize() - capacityBytes;
        while (over > 0) {
            List<Integer> victims = policy.evict(over, k -> true);
            if (victims.isEmpty()) {
                break;
            }
            for (int v : victims) {
                gone(v);
            }
            over = policy.weightedSize() - capacityBytes;
        }
    }

    private boolean admit(int[] chain, int j, boolean snap) {
        int b = chain[j];
        if (!policy.admit(Candidate.of(b, j == 0 ? null : chain[j - 1], j, blockBytes + (snap ? snapshotBytes : 0)))) {
            if (snapshot[b]) {
                unsnap(b);
            }
            return false;
        }
        present[b] = true;
        parent[b] = j == 0 ? -1 : chain[j - 1];
        if (snap && !snapshot[b]) {
            snapshot[b] = true;
            snapshots++;
            for (int a = b; a >= 0; a = parent[a]) {
                dependants[a]++;
            }
        }
        return true;
    }

    private void unsnap(int b) {
        snapshot[b] = false;
        for (int a = b; a >= 0; a = parent[a]) {
            if (--dependants[a] == 0 && present[a] && a != b) {
                present[a] = false;
                policy.onRemove(a);
                evictions++;
            }
        }
    }

    private void gone(int b) {
        evictions++;
        present[b] = false;
        if (snapshot[b]) {
            unsnap(b);
        }
    }

    @Override
    public long heldBytes() {
        return policy.weightedSize();
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
