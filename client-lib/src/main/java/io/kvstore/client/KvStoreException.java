package io.kvstore.client;

import io.kvstore.protocol.ErrorCode;

/**
 * A request failed. {@link #code()} is what the server answered (or {@code null} for a local failure: timeout,
 * closed connection); the message quotes the server's explanation.
 */
public class KvStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient ErrorCode code;

    public KvStoreException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public KvStoreException(String message, Throwable cause) {
        super(message, cause);
        this.code = null;
    }

    /** The server's error answer {@code f} (a frame whose status is not OK) as an exception that says what it was. */
    static KvStoreException answered(io.kvstore.protocol.Frame f) {
        return new KvStoreException(f.status(), "server answered " + f.status() + " to "
                + (f.opcode() == null ? "opcode " + f.opcodeCode() : f.opcode()) + ": " + f.errorMessage());
    }

    /** The server's error code, or null if the failure was local. */
    public ErrorCode code() {
        return code;
    }

    /** The connection closed (or could not be opened) before the answer arrived. */
    public static final class ConnectionClosed extends KvStoreException {
        private static final long serialVersionUID = 1L;

        public ConnectionClosed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** No answer within the request timeout. */
    public static final class Timeout extends KvStoreException {
        private static final long serialVersionUID = 1L;

        public Timeout(String message) {
            super(message, null);
        }
    }
}
