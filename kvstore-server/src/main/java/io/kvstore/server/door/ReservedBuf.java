package io.kvstore.server.door;

import io.kvstore.core.store.PutReservation;
import io.kvstore.protocol.PayloadTargets;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;

import java.util.function.Consumer;

/**
 * A value received straight into the memory the store reserved for it (a DRAM or HBM arena run, or the store's
 * staging buffer): a buffer over {@link PutReservation#buffer()} that never frees that memory. Releasing the last
 * reference hands the reservation to {@code onRelease}, which aborts it unless it was published, so every path that
 * drops a request (a client gone mid-value, a refusal, a connection closed with requests queued) gives the space
 * back. The checksum is computed read by read ({@link #filled}).
 */
public final class ReservedBuf extends UnpooledUnsafeDirectByteBuf implements PayloadTargets.Filling {

    private final PutReservation reservation;
    private final int offset;
    private final Consumer<PutReservation> onRelease;

    /**
     * @param reservation a granted reservation whose buffer is direct
     * @param offset      where this buffer starts in the reservation (bytes before it are written by the caller)
     * @param onRelease   aborts the reservation if it is still open (and settles what else it holds)
     */
    public ReservedBuf(PutReservation reservation, int offset, Consumer<PutReservation> onRelease) {
        super(UnpooledByteBufAllocator.DEFAULT, reservation.buffer().position(offset).slice(),
                reservation.meta().length() - offset);
        this.reservation = reservation;
        this.offset = offset;
        this.onRelease = onRelease;
        clear();
    }

    public PutReservation reservation() {
        return reservation;
    }

    @Override
    public void filled(int bytes) {
        reservation.filled(offset + bytes);
    }

    /** The memory is the store's: abort if still open, never free it here. */
    @Override
    protected void deallocate() {
        onRelease.accept(reservation);
    }
}
