package io.kvstore.server.net;

import io.kvstore.core.namespace.Namespace;

/**
 * A connection's session: set once by a successful HELLO. Event-loop confined.
 */
final class Session {
    Namespace namespace;
    long namespaceId;
    int version;

    boolean open() {
        return namespace != null;
    }
}
