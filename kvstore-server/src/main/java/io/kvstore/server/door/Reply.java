package io.kvstore.server.door;

/**
 * An answer a door's connection writes, in request order. Made on the event loop or on the blocking pool, written
 * on the event loop; a reply that is never written (the connection closed first) is {@link #discard discarded},
 * which releases whatever it holds (a block handle, a buffer).
 */
public interface Reply {

    /** Writes the reply (without flushing): small ones appended to {@code out}, payloads through it. */
    void write(ReplyBuffer out);

    /** Releases what the reply holds without writing it. */
    default void discard() {
    }

    /** True if the connection closes after this reply (QUIT, a protocol error). */
    default boolean closes() {
        return false;
    }

    /** A request that is answered with nothing (LMCache's PUT). */
    Reply NONE = out -> {
    };
}
