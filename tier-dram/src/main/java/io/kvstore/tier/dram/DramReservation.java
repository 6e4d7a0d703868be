package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReservedBlock;

import java.nio.ByteBuffer;

/**
 * A run of arena pages set aside for one block ({@link DramTier#reserve}): the caller writes the payload into
 * {@link #buffer()}, a writable view of the run, and {@link #commit} publishes the index record exactly as a put
 * does after its copy. The reservation holds the run's allocation reference and a pin on the arena, so the memory
 * stays mapped even if the tier is closed meanwhile; abort gives both back and the pages are free again.
 * One owner thread at a time (see {@link io.kvstore.core.tier.TierReservation}).
 */
final class DramReservation extends ReservedBlock {

    private final DramTier tier;
    private final long id;
    private final int first;
    private final int pages;

    DramReservation(DramTier tier, BlockMeta reserved, long id, int first, int pages, ByteBuffer buffer) {
        super(reserved, buffer);
        this.tier = tier;
        this.id = id;
        this.first = first;
        this.pages = pages;
    }

    @Override
    protected PutOutcome publish(BlockMeta meta) {
        return tier.commitReserved(meta, id, first, pages);
    }

    @Override
    protected void giveBack() {
        tier.abortReserved(first, pages);
    }
}
