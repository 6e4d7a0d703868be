package io.kvstore.client;

import io.kvstore.core.block.BlockMeta;
import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A block received from GET. Holds the frame's buffer until {@link #close()} (idempotent): close every block, or
 * the client's memory stays in use. {@link #payload()} is a read-only view valid until close. A block read
 * through shared memory is a view of the server's mapped arena, protected by a read lease until every block of
 * its stream is closed: do not keep it open longer than needed (the lease expires after the server's
 * {@code maxLeaseMillis}; copy the bytes to keep them).
 */
public final class ReceivedBlock implements AutoCloseable {

    private final BlockMeta meta;
    private final ByteBuf payload;
    private final AtomicBoolean closed = new AtomicBoolean();

    private final Runnable onClose;

    ReceivedBlock(BlockMeta meta, ByteBuf payload) {
        this(meta, payload, null);
    }

    /** A block whose {@link #close()} also runs {@code onClose} once (a shared-memory lease's count). */
    ReceivedBlock(BlockMeta meta, ByteBuf payload, Runnable onClose) {
        this.meta = meta;
        this.payload = payload;
        this.onClose = onClose;
    }

    public BlockMeta meta() {
        return meta;
    }

    /**
     * The payload as one read-only {@link ByteBuffer}: a view when the frame arrived in one piece, otherwise a
     * copy (large frames usually arrive as several socket reads; use {@link #content()} to avoid the copy).
     */
    public ByteBuffer payload() {
        checkOpen();
        return payload.nioBuffer().asReadOnlyBuffer();
    }

    /**
     * The payload as the network buffer itself, possibly made of several pieces (read-only use, no copy; see
     * {@link ByteBuf#nioBuffers()}). Valid until {@link #close()}; do not release it.
     */
    public ByteBuf content() {
        checkOpen();
        return payload.asReadOnly();
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("block " + meta.key().shortHex() + " is closed");
        }
    }

    /** A copy of the payload. */
    public byte[] toByteArray() {
        byte[] b = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), b);
        return b;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            payload.release();
            if (onClose != null) {
                onClose.run();
            }
        }
    }
}
