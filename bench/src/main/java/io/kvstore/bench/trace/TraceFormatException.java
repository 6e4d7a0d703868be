package io.kvstore.bench.trace;

/** A trace file that does not have the expected shape; the message names the file and the record. */
public final class TraceFormatException extends RuntimeException {
    public TraceFormatException(String message) {
        super(message);
    }
}
