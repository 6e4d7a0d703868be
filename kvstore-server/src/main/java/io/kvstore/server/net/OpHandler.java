package io.kvstore.server.net;

/**
 * Handles the requests of one opcode. A handler is stateless and shared by all connections; it runs on the
 * connection's event loop, answers through {@link Request}, and calls {@link Request#finish()} (directly or via
 * {@link Request#reply}/{@link Request#fail}) exactly once, possibly later from the event loop after work
 * offloaded with {@link Request#offload}. The request's frame is released by the connection after finish.
 */
interface OpHandler {

    /** Flag bits this opcode accepts; others are answered MALFORMED before {@link #handle} is called. */
    int allowedFlags();

    /** True if the opcode may run before HELLO. */
    default boolean allowedBeforeHello() {
        return false;
    }

    void handle(Request r) throws Exception;
}
