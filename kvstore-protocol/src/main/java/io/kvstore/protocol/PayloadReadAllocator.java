package io.kvstore.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

import java.util.function.Supplier;

/**
 * Lets the socket read a value's payload straight into the memory it is gathered in: while a decoder is in the
 * middle of a payload, each read's buffer is the slice of that memory its {@code readTarget} hands out (the decoder
 * recognises the slice when it comes back through {@code channelRead}), so the kernel copies the bytes where they
 * will stay and nothing copies them out of a read buffer. Headers and everything else are read into the channel's
 * usual buffers. One instance per channel; the target is asked for on the channel's event loop.
 */
public final class PayloadReadAllocator implements RecvByteBufAllocator {

    private final RecvByteBufAllocator base;
    private final Supplier<ByteBuf> readTarget;

    /** @param readTarget the next read's buffer, or null when no payload is being gathered */
    public PayloadReadAllocator(RecvByteBufAllocator base, Supplier<ByteBuf> readTarget) {
        this.base = base;
        this.readTarget = readTarget;
    }

    @Override
    public Handle newHandle() {
        return new PayloadHandle(base.newHandle());
    }

    private final class PayloadHandle extends DelegatingHandle implements ExtendedHandle {

        PayloadHandle(Handle delegate) {
            super(delegate);
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            ByteBuf target = readTarget.get();
            return target != null ? target : super.allocate(alloc);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return delegate() instanceof ExtendedHandle e ? e.continueReading(maybeMoreDataSupplier)
                    : delegate().continueReading();
        }
    }
}
