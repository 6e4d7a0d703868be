package io.kvstore.core.hybrid;

import io.kvstore.core.key.BlockKey;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a hybrid model can resume (docs/protocol.md, "Hybrid models"): the deepest block boundary {@code j} at which
 * every group has what a resume needs: group 0's prefix blocks {@code 0..j-1}, each window group's objects inside its
 * window before {@code j}, each state group's snapshot at block {@code j-1}. One rule for the server's HYBRID_LOOKUP
 * and the clients' fallback for servers without it. Stateless and thread-safe.
 */
public final class ResumePoint {

    /** Whether the object of group {@code group >= 1} at block {@code block} is held. */
    @FunctionalInterface
    public interface Objects {
        boolean held(int group, int block);
    }

    private ResumePoint() {
    }

    /**
     * Checks a model's group list: group 0 is {@link Group#full()} and the only full one.
     *
     * @throws IllegalArgumentException if not
     */
    public static List<Group> check(List<Group> groups) {
        if (groups.isEmpty() || groups.get(0).kind() != Group.Kind.FULL) {
            throw new IllegalArgumentException("group 0 must be Group.full(): the namespace's prefix blocks");
        }
        if (groups.stream().skip(1).anyMatch(g -> g.kind() == Group.Kind.FULL)) {
            throw new IllegalArgumentException("only group 0 is full attention");
        }
        return List.copyOf(groups);
    }

    /**
     * The number of blocks an engine can resume after (0: nowhere), given that group 0's first {@code prefixHit}
     * blocks are held. Searches from {@code prefixHit} down and asks {@code objects} about each object at most once,
     * so the cost is one question per group object of the blocks it passes.
     */
    public static int find(List<Group> groups, int prefixHit, int tokensPerBlock, Objects objects) {
        byte[][] known = new byte[groups.size()][]; // 0 not asked, 1 held, 2 not held
        for (int j = prefixHit; j > 0; j--) {
            if (resumable(groups, j, tokensPerBlock, objects, known)) {
                return j;
            }
        }
        return 0;
    }

    private static boolean resumable(List<Group> groups, int j, int tokensPerBlock, Objects objects, byte[][] known) {
        for (int g = 1; g < groups.size(); g++) {
            if (known[g] == null) {
                known[g] = new byte[j];
            }
            for (int i = j - 1; i >= groups.get(g).firstNeeded(j, tokensPerBlock); i--) {
                if (known[g][i] == 0) {
                    known[g][i] = objects.held(g, i) ? (byte) 1 : (byte) 2;
                }
                if (known[g][i] == 2) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The keys of the objects a resume after {@code blocks} blocks reads, in the order GET streams them: group 0's
     * prefix blocks {@code 0..blocks-1}, then each other group's objects in group order, each in block order.
     */
    public static List<List<BlockKey>> objects(List<Group> groups, List<BlockKey> prefixKeys, int blocks,
                                               int tokensPerBlock) {
        List<List<BlockKey>> keys = new ArrayList<>(groups.size());
        keys.add(List.copyOf(prefixKeys.subList(0, blocks)));
        for (int g = 1; g < groups.size(); g++) {
            List<BlockKey> k = new ArrayList<>();
            for (int i = blocks == 0 ? 0 : groups.get(g).firstNeeded(blocks, tokensPerBlock); i < blocks; i++) {
                k.add(GroupKey.of(prefixKeys.get(i), g));
            }
            keys.add(List.copyOf(k));
        }
        return List.copyOf(keys);
    }
}
