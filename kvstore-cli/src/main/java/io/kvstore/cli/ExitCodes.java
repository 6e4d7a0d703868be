package io.kvstore.cli;

/** kvctl's exit codes (listed in {@code --help} by {@link KvctlMain}'s annotation and in docs/cli.md). */
final class ExitCodes {

    /** The command did what was asked. */
    static final int OK = 0;
    /** The key is not cached / nothing matched (explain, pin, unpin, evict), or health found a failed check. */
    static final int NOT_FOUND = 1;
    /** Bad usage: unknown option, bad value, missing --yes. */
    static final int USAGE = 2;
    /** The server could not be reached: down, wrong address, timeout, or not a kvstore server. */
    static final int UNREACHABLE = 3;
    /** The server refused: unknown or insufficient token, namespace denied, action not from loopback. */
    static final int REFUSED = 4;
    /** The server failed or answered something unexpected. */
    static final int SERVER_ERROR = 5;

    private ExitCodes() {
    }
}
