package io.kvstore.client.hybrid;

import io.kvstore.client.KvStoreClient;
import io.kvstore.core.hybrid.Group;
import io.kvstore.core.hybrid.ResumePoint;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.body.KeyOutcome;

import java.util.ArrayList;
import java.util.List;

/**
 * LOOKUP for a hybrid namespace: the longest prefix an engine can resume after, given every group of the model.
 * A resume after {@code j} blocks needs group 0's prefix blocks {@code 0..j-1}, each window group's objects for the
 * blocks inside its window before {@code j}, and each state group's snapshot at block {@code j-1}
 * ({@link ResumePoint}). A daemon that answers HYBRID_LOOKUP (its HELLO reply says so) finds it in one round trip and
 * can lease every object of the answer; with an older daemon this class asks one LOOKUP of the prefix blocks, then
 * one EXISTS per other group over the hit prefix, and computes the same answer (no lease). Neither is an access. The
 * answer's {@link Resume#keys} are exactly the objects to GET. Thread-safe (stateless over the client).
 */
public final class HybridLookup {
    private final KvStoreClient client;
    private final Namespace namespace;
    private final List<Group> groups;
    private final boolean askServer;

    /**
     * @param groups the model's groups; group 0 must be {@link Group#full()} and the only full one
     */
    public HybridLookup(KvStoreClient client, Namespace namespace, List<Group> groups) {
        this(client, namespace, groups, true);
    }

    private HybridLookup(KvStoreClient client, Namespace namespace, List<Group> groups, boolean askServer) {
        this.client = client;
        this.namespace = namespace;
        this.groups = ResumePoint.check(groups);
        this.askServer = askServer;
    }

    /** Test hook: the path taken with a daemon that does not answer HYBRID_LOOKUP. */
    static HybridLookup withoutServerLookup(KvStoreClient client, Namespace namespace, List<Group> groups) {
        return new HybridLookup(client, namespace, groups, false);
    }

    /**
     * Where the engine can resume.
     *
     * @param blocks the number of prefix blocks to resume after (0: nowhere)
     * @param keys   for each group, the keys of the objects to read, in block order (group 0: the prefix blocks)
     */
    public record Resume(int blocks, List<List<BlockKey>> keys) {

        /** Every object to read, in the order a GET of them streams: group after group, each in block order. */
        public List<BlockKey> objects() {
            List<BlockKey> all = new ArrayList<>();
            keys.forEach(all::addAll);
            return all;
        }
    }

    /** Resolves the resume point of a prompt whose full blocks have the prefix keys {@code prefixKeys}. */
    public Resume resume(List<BlockKey> prefixKeys) {
        return resume(prefixKeys, 0);
    }

    /**
     * Resolves the resume point; with {@code leaseMillis > 0} and a daemon that answers HYBRID_LOOKUP, every object
     * of the answer is protected from eviction that long (time to GET them).
     */
    public Resume resume(List<BlockKey> prefixKeys, int leaseMillis) {
        int b = namespace.tokensPerBlock();
        int j;
        if (askServer && client.answersHybridLookup(namespace)) {
            j = client.hybridLookup(namespace, groups, prefixKeys, leaseMillis).resumeBlocks();
        } else {
            j = clientSide(prefixKeys, b);
        }
        return new Resume(j, ResumePoint.objects(groups, prefixKeys, j, b));
    }

    /** For daemons without HYBRID_LOOKUP: one LOOKUP, then one EXISTS per other group. */
    private int clientSide(List<BlockKey> prefixKeys, int tokensPerBlock) {
        int h = prefixKeys.isEmpty() ? 0 : client.lookup(namespace, prefixKeys).hitBlocks();
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
        return ResumePoint.find(groups, h, tokensPerBlock, (g, i) -> present.get(g)[i]);
    }
}
