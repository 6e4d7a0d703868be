package io.kvstore.server.events;

import io.kvstore.core.key.BlockKey;

/**
 * One event of vLLM's KV-event stream before it is encoded ({@link KvEventCodec}): a block stored in a medium, a
 * block removed from one, or everything cleared.
 *
 * @param kind      what happened
 * @param key       the block; null for {@link Kind#ALL_BLOCKS_CLEARED}
 * @param parent    for {@link Kind#BLOCK_STORED}: the block before it in its chain, null for the first block
 * @param tokenIds  for {@link Kind#BLOCK_STORED}: the block's token ids when its PUT carried them, else empty
 * @param blockSize for {@link Kind#BLOCK_STORED}: tokens per block of the block's namespace, 0 if unknown
 * @param medium    the medium in vLLM's vocabulary ({@code GPU}, {@code CPU_PINNED}, {@code DISK}, {@code EXTERNAL})
 */
public record KvEvent(Kind kind, BlockKey key, BlockKey parent, int[] tokenIds, int blockSize, String medium) {

    /** Kinds of events, each with its tag on the wire. */
    public enum Kind {
        BLOCK_STORED("BlockStored"),
        BLOCK_REMOVED("BlockRemoved"),
        ALL_BLOCKS_CLEARED("AllBlocksCleared");

        private final String tag;

        Kind(String tag) {
            this.tag = tag;
        }

        /** The tag that starts the event's array on the wire. */
        public String tag() {
            return tag;
        }
    }

    private static final int[] NO_TOKENS = new int[0];

    /** A block stored in {@code medium}. */
    public static KvEvent stored(BlockKey key, BlockKey parent, int[] tokenIds, int blockSize, String medium) {
        return new KvEvent(Kind.BLOCK_STORED, key, parent, tokenIds == null ? NO_TOKENS : tokenIds, blockSize, medium);
    }

    /** A block removed from {@code medium}. */
    public static KvEvent removed(BlockKey key, String medium) {
        return new KvEvent(Kind.BLOCK_REMOVED, key, null, NO_TOKENS, 0, medium);
    }

    /** Every block of the publisher is gone (sent first when a daemon starts). */
    public static KvEvent allCleared() {
        return new KvEvent(Kind.ALL_BLOCKS_CLEARED, null, null, NO_TOKENS, 0, null);
    }

    /**
     * The medium of a kvstore tier, in the vocabulary routers map (Dynamo's tiers, llm-d's medium weights):
     * hbm → GPU, dram → CPU_PINNED, nvme → DISK, remote → EXTERNAL; another name upper-cased.
     */
    public static String medium(String tierName) {
        return switch (tierName) {
            case "hbm" -> "GPU";
            case "dram" -> "CPU_PINNED";
            case "nvme" -> "DISK";
            case "remote" -> "EXTERNAL";
            default -> tierName.toUpperCase(java.util.Locale.ROOT);
        };
    }
}
