package io.kvstore.client.hybrid;

import io.kvstore.client.KvStoreClient;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.body.KeyOutcome;

import java.util.ArrayList;
import java.util.List;

/**
 * LOOKUP for a hybrid namespace: the longest prefix an engine can resume after, given every group of the model.
 * A resume after {@code j} blocks needs group 0's prefix blocks {@code 0..j-1}, each window group's objects for the
 * blocks inside its window before {@code j}, and each state group's snapshot at block {@code j-1}. One LOOKUP of
 * the prefix blocks, then one EXISTS per other group over the hit prefix; neither is an access. The answer's
 * {@link Resume#keys} are exactly the objects to GET. Thread-safe (stateless over the client).
 */
public final class HybridLookup {
    private final KvStoreClient client;
    private final Namespace namespace;
    private final List<Group> groups;

    /**
     * @param groups the model's groups; group 0 must be {@link Group#full()} and the only full one
     */
    public HybridLookup(KvStoreClient client, Namespace namespace, List<Group> groups) {
        if (groups.isEmpty() || groups.get(0).kind() != Group.Kind.FULL) {
            throw new IllegalArgumentException("group 0 must be Group.full(): the namespace's prefix blocks");
        }
        if (groups.stream().skip(1).anyMatch(g -> g.kind() == Group.Kind.FULL)) {
            throw new IllegalArgumentException("only group 0 is full attention");
        }
        this.client = client;
        this.namespace = namespace;
        this.groups = List.copyOf(groups);
    }

    /**
     * Where the engine can resume.
     *
     * @param blocks the number of prefix blocks to resume after (0: nowhere)
     * @param keys   for each group, the keys of the objects to read, in block order (group 0: the prefix blocks)
     */
    public record Resume(int blocks, List<List<BlockKey>> keys) {
    }

    /** Resolves the resume point of a prompt whose full blocks have the prefix keys {@code prefixKeys}. */
    public Resume resume(List<BlockKey> prefixKeys) {
        int h = prefixKeys.isEmpty() ? 0 : client.lookup(namespace, prefixKeys).hitBlocks();
        int b = namespace.tokensPerBlock();
        List<boolean[]> present = new ArrayList<>();
        present.add(null);
        for (int g = 1; g < groups.size(); g++) {
            List<BlockKey> gk = new ArrayList<>(h);
            for (int i = 0; i < h; i++) {
                gk.add(GroupKeys.of(prefixKeys.get(i), g));
            }
            boolean[] p = new boolean[h];
            if (h > 0) {
                List<KeyOutcome> outcomes = client.exists(namespace, gk);
                for (int i = 0; i < h; i++) {
                    p[i] = outcomes.get(i) == KeyOutcome.PRESENT;
                }
            }
            present.add(p);
        }
        for (int j = h; j > 0; j--) {
            if (resumable(j, b, present)) {
                List<List<BlockKey>> keys = new ArrayList<>();
                keys.add(List.copyOf(prefixKeys.subList(0, j)));
                for (int g = 1; g < groups.size(); g++) {
                    List<BlockKey> k = new ArrayList<>();
                    for (int i = groups.get(g).firstNeeded(j, b); i < j; i++) {
                        k.add(GroupKeys.of(prefixKeys.get(i), g));
                    }
                    keys.add(List.copyOf(k));
                }
                return new Resume(j, List.copyOf(keys));
            }
        }
        List<List<BlockKey>> none = new ArrayList<>();
        groups.forEach(g -> none.add(List.of()));
        return new Resume(0, List.copyOf(none));
    }

    private boolean resumable(int j, int tokensPerBlock, List<boolean[]> present) {
        for (int g = 1; g < groups.size(); g++) {
            boolean[] p = present.get(g);
            for (int i = groups.get(g).firstNeeded(j, tokensPerBlock); i < j; i++) {
                if (!p[i]) {
                    return false;
                }
            }
        }
        return true;
    }
}
