package io.kvstore.server.net;

import io.kvstore.core.namespace.Namespace;

/**
 * A connection's session: set once by a successful HELLO. Event-loop confined.
 */
final class Session {
    Namespace namespace;
    long namespaceId;
    int version;
    /** The peer came through the Unix domain socket, so it runs on this host (set before any request). */
    boolean unixPeer;
    /** HELLO offered shared memory (loopback or Unix-socket peer, feature asked, server has it). */
    boolean shmOffered;
    /** SHM_ATTACH proved the client can read the nonce file. */
    boolean shmAttached;
    /** HELLO asked for (and was granted) PUT frames whose checksum the server computes. */
    boolean serverChecksum;

    boolean open() {
        return namespace != null;
    }
}
