package io.kvstore.cli;

import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.KvStoreException;
import io.kvstore.protocol.ErrorCode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * {@code kvctl} ({@code ./kvstore ctl}): inspect and operate a running kvstore daemon.
 *
 * <h2>How it talks to the daemon</h2>
 * Reads ({@code status}, {@code top}, {@code blocks}, {@code explain}, {@code health}) and actions ({@code pin},
 * {@code unpin}, {@code evict}) go to the HTTP admin port ({@code --admin}); actions are POSTs the daemon accepts
 * only from a loopback peer and, when it has auth tokens, only with a token that allows every tenant
 * ({@code --token}). {@code lookup} (and the data check of {@code health}) use the binary protocol on the data
 * port ({@code --server}) through {@link KvStoreClient}, exactly as an inference engine would.
 *
 * <h2>Errors</h2>
 * Every failure is a {@link CliException}: one line on stderr and an exit code of {@link ExitCodes};
 * {@code --verbose} adds the cause. Global options may be given before or after the subcommand. This class is
 * the command tree's root and holds the global options; {@link #commandLine()} builds the configured tree.
 */
@Command(name = "kvctl", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = KvctlMain.Version.class,
        description = "Inspect and operate a running kvstore daemon.",
        synopsisSubcommandLabel = "COMMAND",
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
            "0:ok", "1:not found / nothing matched / unhealthy", "2:bad usage",
            "3:server unreachable (down, wrong address, timeout)", "4:refused (token, namespace, not loopback)",
            "5:server error or unexpected answer"},
        footerHeading = "%nEnvironment:%n",
        footer = {"  KVSTORE_SERVER  default of --server (127.0.0.1:7379)",
            "  KVSTORE_ADMIN   default of --admin (the admin port the daemon names in HELLO, on the --server host)",
            "  KVSTORE_SOCKET  default of --socket (none: the data port over TCP)",
            "  KVSTORE_TOKEN   default of --token"},
        subcommands = {StatusCommand.class, TopCommand.class, LookupCommand.class, BlocksCommand.class,
            ExplainCommand.class, PinCommand.class, UnpinCommand.class, EvictCommand.class, HealthCommand.class,
            CompletionCommand.class})
public final class KvctlMain implements Runnable {

    static final HostPort DEFAULT_SERVER = new HostPort("127.0.0.1", 7379);

    @Spec
    CommandSpec spec;

    @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT",
            defaultValue = "${env:KVSTORE_SERVER:-127.0.0.1:7379}",
            description = "Data port of the daemon (env KVSTORE_SERVER; default ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--socket", scope = ScopeType.INHERIT, paramLabel = "PATH",
            defaultValue = "${env:KVSTORE_SOCKET}",
            description = "The daemon's data socket (its dataSocket setting), used instead of --server's port (env "
                    + "KVSTORE_SOCKET); the admin port is then asked for on it, on the --server host.")
    java.nio.file.Path socket;

    @Option(names = "--admin", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT",
            defaultValue = "${env:KVSTORE_ADMIN}",
            description = "HTTP admin port of the daemon (env KVSTORE_ADMIN; default: the --server host and the admin "
                    + "port the daemon names in its HELLO reply; if it cannot be asked, the port after the data port).")
    String admin;

    /** The admin address found once per run. */
    private HostPort discoveredAdmin;

    @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN", defaultValue = "${env:KVSTORE_TOKEN}",
            description = "Auth token (env KVSTORE_TOKEN): sent in HELLO and, for actions, as the admin bearer token.")
    String token;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print JSON instead of tables.")
    boolean json;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "On failure, also print the cause (stack trace).")
    boolean verbose;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION", defaultValue = "5s",
            description = "Connect and request timeout (default ${DEFAULT-VALUE}).")
    String timeout;

    /** {@code kvctl} with no command prints its usage. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    HostPort serverAddress() {
        try {
            return HostPort.parse(server, DEFAULT_SERVER);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "--server: " + e.getMessage());
        }
    }

    /**
     * {@code --admin}; by default the {@code --server} host and the admin port the daemon names in its HELLO reply;
     * if the daemon cannot be asked (down, or the token may not use kvctl's namespace), the port after the data port
     * (7380 for 7379), so that the failure that follows names an address.
     */
    HostPort adminAddress() {
        HostPort s = serverAddress();
        if (admin != null && !admin.isBlank()) {
            try {
                return HostPort.parse(admin, new HostPort(s.host(), s.port() == 65535 ? s.port() : s.port() + 1));
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.USAGE, "--admin: " + e.getMessage());
            }
        }
        if (discoveredAdmin == null) {
            int port = 0;
            try (KvStoreClient c = dataClient()) {
                port = c.adminPort(HealthCommand.PING_NAMESPACE);
            } catch (RuntimeException e) {
                // not reachable or refused: fall back to the conventional port
            }
            discoveredAdmin = new HostPort(s.host(), port > 0 ? port : s.port() == 65535 ? s.port() : s.port() + 1);
        }
        return discoveredAdmin;
    }

    Duration timeoutDuration() {
        return Args.duration(timeout);
    }

    /** A client of the admin port. */
    AdminClient adminClient() {
        return new AdminClient(adminAddress(), token, timeoutDuration());
    }

    /** A protocol client of the data port (connections open on first use). */
    KvStoreClient dataClient() {
        HostPort s = serverAddress();
        Duration t = timeoutDuration();
        ClientOptions o = ClientOptions.of(s.host(), s.port()).withToken(token).withRequestTimeout(t);
        return KvStoreClient.create(new ClientOptions(o.host(), o.port(), o.token(), t, t, o.maxFrameBytes(),
                o.streamWindow()).withSocketPath(socket));
    }

    /** Where the data client goes, for messages: {@code HOST:PORT}, or {@code unix:PATH} with {@code --socket}. */
    String dataAddress() {
        return socket != null ? "unix:" + socket : serverAddress().toString();
    }

    /** Turns a protocol client failure into a one-line {@link CliException}. */
    CliException dataFailure(KvStoreException e) {
        String s = dataAddress();
        ErrorCode code = e.code();
        if (code == ErrorCode.AUTH_FAILED || code == ErrorCode.NAMESPACE_DENIED
                || code == ErrorCode.NOT_AUTHENTICATED) {
            return new CliException(ExitCodes.REFUSED, "refused by " + s + ": " + e.getMessage(), e);
        }
        if (code == null) {
            return AdminClient.unreachable(s, "server", e);
        }
        return new CliException(ExitCodes.SERVER_ERROR, "server " + s + ": " + e.getMessage(), e);
    }

    /** The command tree, with kvctl's error handling and exit codes. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new KvctlMain());
        cl.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            KvctlMain root = cmd.getCommandSpec().root().commandLine().getCommand();
            CliException ce = e instanceof CliException c ? c
                    : e instanceof KvStoreException k ? root.dataFailure(k)
                    : new CliException(ExitCodes.SERVER_ERROR, "unexpected failure: " + e, e);
            PrintWriter err = cmd.getErr();
            err.println("kvctl: " + ce.getMessage());
            if (root.verbose && ce.getCause() != null) {
                ce.getCause().printStackTrace(err);
            }
            err.flush();
            return ce.exitCode();
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The version of the build (the Maven project's, the same string as {@code serve -V} and {@code status}). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = KvctlMain.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (java.io.IOException e) {
                // unknown
            }
            return new String[] {"kvctl " + p.getProperty("version", "unknown")};
        }
    }
}
