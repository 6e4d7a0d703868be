package io.kvstore.core.hybrid;

import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Keys of a hybrid model's group objects (docs/hashing.md, "Group objects"): the object of group {@code g >= 1} at
 * the block whose prefix key is {@code k} is {@code SHA-256(u32(16) || "kvstore-group-v1" || k || u32(g))}, all
 * big-endian. Stateless and thread-safe.
 */
public final class GroupKey {
    private static final byte[] TAG = "kvstore-group-v1".getBytes(StandardCharsets.US_ASCII);

    private GroupKey() {
    }

    /**
     * The key of group {@code group}'s object at prefix key {@code prefix}.
     *
     * @throws IllegalArgumentException if {@code group < 1} (group 0 is the prefix blocks themselves)
     */
    public static BlockKey of(BlockKey prefix, int group) {
        if (group < 1) {
            throw new IllegalArgumentException("group id must be >= 1 (group 0 is the prefix blocks), was " + group);
        }
        ByteBuffer in = ByteBuffer.allocate(4 + TAG.length + BlockKey.BYTES + 4);
        in.putInt(TAG.length).put(TAG).put(prefix.toBytes()).putInt(group);
        try {
            return BlockKey.of(MessageDigest.getInstance("SHA-256").digest(in.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
