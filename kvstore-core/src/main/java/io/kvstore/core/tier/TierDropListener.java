package io.kvstore.core.tier;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;

/**
 * Asked and told by a tier about blocks it drops on its own, without the store asking: a flash tier that reclaims a
 * whole segment drops the blocks still in it instead of rewriting them (a cache may forget cold data; rewriting
 * it only wears the flash). The store removes the block from its directory and from the level's policy.
 *
 * <p>Before it drops a block for space the tier asks {@link #mayDrop}: the store answers false for blocks that must
 * stay (pinned or leased), and the tier then keeps the block by rewriting it elsewhere (bounded and counted: the
 * only rewrite of cache data a flash tier does). A tier that can also ask at the moment of the drop does so with
 * {@link #claimDrop}, which closes the gap between the question and the drop: a lease taken in that gap would
 * otherwise protect a block the tier drops a moment later.
 *
 * <p>Contract: the tier calls {@link #dropped} after the block is no longer readable from it (a read answers
 * {@link ReadResult.Outcome#MISS}); it may call it from any thread, including a thread inside {@link Tier#put},
 * and must not hold a lock the store could wait for. The listener does no I/O and never blocks.
 */
@FunctionalInterface
public interface TierDropListener {

    /** Listener that ignores every drop. */
    TierDropListener NONE = key -> { };

    /** False if the block must stay (pinned or leased); the tier then keeps it. Answers from memory, fast. */
    default boolean mayDrop(BlockKey key) {
        return true;
    }

    /**
     * The binding form of {@link #mayDrop}, asked at the moment of the drop: the tier calls it while it holds the
     * block's index entry exclusively, in order with {@link Tier#confirm} (a confirm after a true answer does not find
     * the block), and removes the block right after a true answer. False if the block must stay (pinned or leased
     * now): the tier keeps it. True: the store has given the copy up at once, so that no lease or pin taken from now
     * on counts on it, and the tier must drop the block and then call {@link #dropped}. Answers from memory, takes no
     * lock a tier holds. Default: {@link #mayDrop}.
     */
    default boolean claimDrop(BlockKey key) {
        return mayDrop(key);
    }

    /** The tier no longer holds {@code key}. */
    void dropped(BlockKey key);

    /**
     * The tier no longer holds the block {@code meta} describes: a tier that has the metadata at hand calls this
     * instead of {@link #dropped(BlockKey)}, so that a store that keeps no entry of its own for the block (it left it
     * to the tier's index) can still report the eviction. Default: {@code dropped(meta.key())}.
     */
    default void dropped(BlockMeta meta) {
        dropped(meta.key());
    }
}
