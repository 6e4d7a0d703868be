package io.kvstore.cli;

/**
 * A failure kvctl reports as one line on stderr ({@code kvctl: <message>}) with an exit code from
 * {@link ExitCodes}; with {@code --verbose} the cause's stack trace follows.
 */
final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    int exitCode() {
        return exitCode;
    }
}
