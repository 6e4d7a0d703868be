package io.kvstore.core.block;

import java.nio.ByteBuffer;

/**
 * A reference to one block's payload, held while the caller reads it. The memory behind it stays valid, and is
 * not reused by its tier, until every handle that shares it is closed.
 *
 * <p>Ownership: whoever receives a handle must close it exactly once; {@link #close()} is idempotent, so a
 * second close does nothing. {@link #retain()} returns an independent handle to the same memory, which must be
 * closed too. Any use of a closed handle throws {@link IllegalStateException}.
 *
 * <p>Thread-safety: a handle may be passed between threads; its payload views are read-only.
 */
public interface BlockHandle extends AutoCloseable {

    /** The block's metadata. */
    BlockMeta meta();

    /**
     * A read-only view of the payload, position 0 and limit {@code meta().length()}; a new view per call, so
     * callers may move its position freely. Zero-copy where the tier allows.
     *
     * @throws IllegalStateException if this handle is closed
     */
    ByteBuffer payload();

    /**
     * A new handle to the same memory, keeping it alive until that handle is closed too.
     *
     * @throws IllegalStateException if this handle is closed
     */
    BlockHandle retain();

    /** True until {@link #close()}. */
    boolean isOpen();

    /** Releases this handle's reference; idempotent. */
    @Override
    void close();
}
