package io.kvstore.server.lmcache;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Lets the socket read a PUT's payload straight into the buffer the value is gathered in: while {@link LmDecoder}
 * is in the middle of a payload, each read's buffer is a slice of the rest of that buffer ({@link
 * LmDecoder#readTarget}), so the bytes arrive where the store will read them from, without the copy out of a read
 * buffer. Headers and everything else are read into the channel's usual buffers. One instance per channel.
 */
final class PayloadReadAllocator implements RecvByteBufAllocator {

    private final RecvByteBufAllocator base;
    private final LmDecoder decoder;

    PayloadReadAllocator(RecvByteBufAllocator base, LmDecoder decoder) {
        this.base = base;
        this.decoder = decoder;
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
            ByteBuf target = decoder.readTarget();
            return target != null ? target : super.allocate(alloc);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return delegate() instanceof ExtendedHandle e ? e.continueReading(maybeMoreDataSupplier)
                    : delegate().continueReading();
        }
    }
}
