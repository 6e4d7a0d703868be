package io.kvstore.bench.policy;

import io.kvstore.core.key.BlockKey;
import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * Heap bytes a policy holds per tracked block, beyond the keys (which belong to the store's directory): the keys of
 * {@code blocks} blocks in chains of {@code chain} are created first, the heap in use is measured after repeated
 * full collections, then a policy with a capacity of exactly {@code blocks} blocks is created and offered every
 * block (so it is full and nothing is evicted), and the heap is measured again. The difference over the blocks is
 * the policy's memory per block, including everything it allocates from the capacity at creation (sketch, tables
 * of dropped keys) and its fixed parts spread over the blocks. Run each policy in its own JVM, with a fixed heap
 * so that collections are comparable:
 *
 * <pre>
 * java -Xms4g -Xmx4g -cp "bench/target/classes:bench/target/lib/*" io.kvstore.bench.policy.PolicyFootprint \
 *     default 1000000 24
 * </pre>
 */
public final class PolicyFootprint {
    private PolicyFootprint() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: PolicyFootprint POLICY [BLOCKS] [CHAIN]");
            System.exit(2);
        }
        String policy = args[0];
        int blocks = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        int chain = args.length > 2 ? Integer.parseInt(args[2]) : 24;
        List<Candidate<BlockKey>> offers = new ArrayList<>(blocks);
        BlockKey parent = null;
        for (int b = 0; b < blocks; b++) {
            int pos = b % chain;
            BlockKey k = BlockKey.synthetic(1, b);
            offers.add(Candidate.of(k, pos == 0 ? null : parent, pos, 1));
            parent = k;
        }
        long before = usedAfterGc();
        EvictionPolicy<BlockKey> p = PolicyRegistry.create(policy, new PolicySpec(blocks, 1, 42));
        for (Candidate<BlockKey> c : offers) {
            if (!p.admit(c)) {
                throw new IllegalStateException(policy + " refused " + c.key() + " with room to spare");
            }
        }
        long after = usedAfterGc();
        System.out.printf("%s: %d blocks tracked (chains of %d), %.1f bytes per tracked block (heap %+d bytes)%n",
                p.name(), p.size(), chain, (double) (after - before) / p.size(), after - before);
        if (p.size() != blocks || offers.isEmpty()) {
            throw new IllegalStateException("expected " + blocks + " tracked blocks, found " + p.size());
        }
    }

    private static long usedAfterGc() {
        MemoryMXBean m = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, m.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
