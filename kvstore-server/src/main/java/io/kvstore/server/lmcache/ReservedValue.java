package io.kvstore.server.lmcache;

import io.kvstore.core.store.PutReservation;
import io.kvstore.server.door.NamedValues;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;

/**
 * A PUT's value gathered straight into the memory the store reserved for it (a DRAM or HBM arena run, or the
 * store's staging buffer): a buffer over {@link PutReservation#buffer()} that never frees that memory. Releasing
 * the last reference aborts the reservation unless it was published, so every path that drops a request (a
 * client gone mid-value, a connection closed with requests queued) gives the space and the tenant's quota back.
 */
final class ReservedValue extends UnpooledUnsafeDirectByteBuf {

    private final NamedValues values;
    private final NamedValues.Space space;
    private final PutReservation reservation;

    /** @param reservation a granted reservation whose buffer is direct */
    ReservedValue(NamedValues values, NamedValues.Space space, PutReservation reservation) {
        super(UnpooledByteBufAllocator.DEFAULT, reservation.buffer(), reservation.meta().length());
        this.values = values;
        this.space = space;
        this.reservation = reservation;
        clear();
    }

    PutReservation reservation() {
        return reservation;
    }

    /** The memory is the store's: abort if still open, never free it here. */
    @Override
    protected void deallocate() {
        values.abort(space, reservation);
    }
}
