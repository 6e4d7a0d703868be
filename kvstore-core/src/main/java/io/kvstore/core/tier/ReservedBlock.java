package io.kvstore.core.tier;

import io.kvstore.core.block.BlockMeta;

import java.nio.ByteBuffer;

/**
 * The common part of a tier's {@link TierReservation}: the checks of {@link #commit} (the key and length reserved,
 * not over yet) and the once-only {@link #abort}. A tier supplies what publishing and giving back mean.
 */
public abstract class ReservedBlock implements TierReservation {

    private final BlockMeta reserved;
    private final ByteBuffer buffer;
    private boolean over;

    /** @param buffer the reserved memory: writable, position 0, limit the block's length */
    protected ReservedBlock(BlockMeta reserved, ByteBuffer buffer) {
        this.reserved = reserved;
        this.buffer = buffer;
    }

    @Override
    public final ByteBuffer buffer() {
        return buffer;
    }

    @Override
    public final PutOutcome commit(BlockMeta meta) {
        if (over) {
            throw new IllegalStateException("the reservation of " + reserved.key().shortHex() + " is over");
        }
        if (!meta.key().equals(reserved.key()) || meta.length() != reserved.length()) {
            throw new IllegalArgumentException("committing " + meta + " into a reservation for " + reserved);
        }
        PutOutcome o = publish(meta);
        if (o == PutOutcome.STORED) {
            over = true;
        }
        return o;
    }

    @Override
    public final void abort() {
        if (!over) {
            over = true;
            giveBack();
        }
    }

    /** Makes the block visible under {@code meta}; STORED ends the reservation, anything else leaves it open. */
    protected abstract PutOutcome publish(BlockMeta meta);

    /** Frees the memory of a reservation that was not committed; called once. */
    protected abstract void giveBack();
}
