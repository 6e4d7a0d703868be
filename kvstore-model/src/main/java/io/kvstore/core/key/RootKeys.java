package io.kvstore.core.key;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One key object per namespace root, for the parents of the blocks that start a chain. A client sends each block's
 * parent key with the block; the store gives a block whose parent is cached the parent entry's own key object, and a
 * reopened NVMe tier does the same for the blocks it loads. A chain's first block has the namespace root as its
 * parent, which is no block, so each such block kept its own copy: 48 bytes of heap per chain start, every block of a
 * store of one-block chains (a million of them held two key objects each: 2,152,974 {@code BlockKey}s for
 * 1,060,103 entries). Both the store ({@code TieredStore.newEntry}) and the NVMe tier's recovery ask this class.
 * Bounded: past {@link #MAX_NAMESPACES} namespaces the others keep their copies. Thread-safe.
 */
public final class RootKeys {

    /** Namespaces whose root is shared; a daemon serves a handful (models, tenants, adapters). */
    public static final int MAX_NAMESPACES = 4096;

    private final Map<Long, BlockKey> roots = new ConcurrentHashMap<>();

    /**
     * The shared object equal to {@code parent}, the parent a block at position 0 of {@code namespaceId} names (its
     * namespace's root), or {@code parent} itself: the first root seen for a namespace is the one shared, and a
     * parent that is not equal to it (a client with another idea of the root) is left as it is.
     */
    public BlockKey intern(long namespaceId, BlockKey parent) {
        BlockKey known = roots.get(namespaceId);
        if (known == null) {
            if (roots.size() >= MAX_NAMESPACES) {
                return parent;
            }
            known = roots.putIfAbsent(namespaceId, parent);
            if (known == null) {
                return parent;
            }
        }
        return known.equals(parent) ? known : parent;
    }
}
