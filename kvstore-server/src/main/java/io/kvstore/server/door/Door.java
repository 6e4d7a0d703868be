package io.kvstore.server.door;

import io.netty.channel.Channel;

/**
 * A foreign protocol the daemon answers on a port of its own ({@link Doors} binds it): what it needs is a pipeline
 * for each accepted connection. Implementations are thread-safe.
 */
public interface Door {

    /** Short name, for logs ({@code redis}, {@code lm}). */
    String name();

    /** Installs the door's handlers on a new connection. */
    void initChannel(Channel ch);

    /** Called once the port is bound. */
    default void bound(int port) {
    }
}
