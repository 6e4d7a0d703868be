package io.kvstore.server.startup;

/**
 * An operator mistake found while the daemon starts (a data dir that is a file or not writable, a port in use, a
 * second daemon on the same data dir, tiers larger than the JVM's direct-memory limit). The message is one line
 * that names the problem and the fix; {@code kvstore serve} prints it and exits with {@link #EXIT_CODE}, the
 * exit code of a bad setting, never with a stack trace.
 */
public final class StartupException extends RuntimeException {

    /** The exit code of every operator mistake (the same as a bad setting). */
    public static final int EXIT_CODE = 2;

    private static final long serialVersionUID = 1L;

    public StartupException(String message) {
        super(message, null, false, false);
    }
}
