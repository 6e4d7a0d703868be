package io.kvstore.protocol;

/**
 * A frame or body that breaks the protocol, with the error code to answer. Thrown by the body readers in
 * {@link Wire}; the server turns it into an error frame.
 */
public final class ProtocolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    /** What to answer. */
    public ErrorCode code() {
        return code;
    }

    /** The message without the code prefix, as sent in an error frame. */
    public String detail() {
        String m = getMessage();
        return m.substring(m.indexOf(':') + 2);
    }
}
