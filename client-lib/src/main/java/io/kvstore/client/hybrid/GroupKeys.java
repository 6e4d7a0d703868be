package io.kvstore.client.hybrid;

import io.kvstore.client.BlockPayload;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.hybrid.GroupKey;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.Namespace;

import java.nio.ByteBuffer;

/**
 * Keys of a hybrid model's group objects (docs/hashing.md, "Group objects"): the object of group {@code g >= 1} at
 * the block whose prefix key is {@code k} is
 * {@code SHA-256(u32(16) || "kvstore-group-v1" || k || u32(g))}, all big-endian. It is stored as an ordinary block
 * whose parent is {@code k}. Stateless and thread-safe.
 */
public final class GroupKeys {
    private GroupKeys() {
    }

    /**
     * The key of group {@code group}'s object at prefix key {@code prefix} ({@link GroupKey#of}).
     *
     * @throws IllegalArgumentException if {@code group < 1} (group 0 is the prefix blocks themselves)
     */
    public static BlockKey of(BlockKey prefix, int group) {
        return GroupKey.of(prefix, group);
    }

    /**
     * The block that stores group {@code group}'s object (a snapshot, or a window group's KV of one block) at the
     * block {@code position} whose prefix key is {@code prefix}: keyed by {@link #of}, parented by the prefix key,
     * for {@code KvStoreClient.putBlocks}.
     */
    public static BlockPayload object(Namespace ns, BlockKey prefix, int position, int group, ByteBuffer payload) {
        return new BlockPayload(new BlockMeta(of(prefix, group), prefix, position, ns.id(), ns.layoutId(),
                payload.remaining(), Checksums.crc32c(payload)), payload);
    }
}
