package io.kvstore.server;

import io.kvstore.server.config.ConfigException;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.startup.DataDirLock;
import io.kvstore.server.startup.DirectMemory;
import io.kvstore.server.startup.StartupChecks;
import io.kvstore.server.startup.StartupException;
import io.kvstore.tier.dram.DramTierInUseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code kvstore serve}: runs the daemon until SIGTERM or Ctrl-C. Settings come from the embedded defaults, then
 * {@code --config FILE} (YAML), then {@code KVSTORE_*} environment variables, then flags (docs/server.md).
 * Before any tier opens, {@link StartupChecks} checks the data dir, locks it, probes the ports and the direct-memory
 * limit; a bad setting or an operator mistake is one line on stderr and exit code 2, never a stack trace.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = ServeCommand.Version.class,
        description = "Run the kvstore daemon.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped cleanly", "1:unexpected failure (a bug: the stack trace is printed)",
            "2:bad setting or operator mistake (one line naming the fix)"})
public final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--config", description = "YAML config file (settings as top-level keys).")
    Path configFile;

    @Option(names = "--port", description = "Data (protocol) port; 0 = any free port. Default 7379.")
    Integer port;

    @Option(names = "--admin-port", description = "HTTP admin port; 0 = any free port, -1 = none. Default 7380.")
    Integer adminPort;

    @Option(names = "--data-dir", description = "Directory for persistent tiers. Default kvstore-data (under the working directory).")
    Path dataDir;

    @Option(names = "--set", description = "Any setting, as name=value (repeatable), e.g. dramCapacityBytes=8GiB.")
    List<String> assignments = new ArrayList<>();

    @Option(names = "--print-jvm-options", hidden = true,
            description = "Print the JVM options this config needs (direct-memory limit) and exit; for the launcher.")
    boolean printJvmOptions;

    private final CountDownLatch stopped = new CountDownLatch(1);

    /** The config these arguments and {@code env} describe. */
    ServerConfig config(java.util.Map<String, String> env) {
        ConfigLoader l = ConfigLoader.builder();
        if (configFile != null) {
            l.yaml(configFile);
        }
        l.env(env);
        assignments.forEach(l::assignment);
        return l.flag("port", port).flag("adminPort", adminPort).flag("dataDir", dataDir).load();
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig config;
        try {
            config = config(System.getenv());
        } catch (ConfigException e) {
            System.err.println("kvstore serve: bad config: " + e.getMessage());
            return 2;
        }
        if (printJvmOptions) { // the launcher's first, short JVM: it also reports operator mistakes, sooner
            try {
                StartupChecks.dataDir(config.dataDir());
                DataDirLock.acquire(config.dataDir()).close();
                StartupChecks.ports(config);
            } catch (StartupException e) {
                return fail(e.getMessage());
            }
            System.out.println(DirectMemory.jvmOption(config));
            return 0;
        }
        DataDirLock lock;
        try {
            lock = StartupChecks.run(config);
        } catch (StartupException e) {
            return fail(e.getMessage());
        }
        KvServer server = null;
        try {
            server = new KvServer(config);
            server.start();
        } catch (DramTierInUseException e) {
            return fail(e.getMessage() + "; stop it first or give this one another --data-dir / dramPersistDir", server,
                    lock);
        } catch (ConfigException e) { // a door's port is taken (respPort, lmPort)
            return fail(e.getMessage(), server, lock);
        } catch (Exception e) {
            if (!StartupChecks.isBindFailure(e)) {
                throw e;
            }
            boolean admin = e instanceof java.net.BindException; // the JDK's HttpServer; Netty's data port differs
            return fail(StartupChecks.bindFailure(admin ? config.adminBindAddress() : config.bindAddress(),
                    admin ? config.adminPort() : config.port(), admin ? "admin" : "data",
                    admin ? "--admin-port" : "--port", e).getMessage(), server, lock);
        }
        KvServer started = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("kvstore stopping (draining up to {} ms)", config.shutdownGraceMillis());
            started.close();
            lock.close();
            LOG.info("kvstore stopped");
            stopped.countDown();
        }, "kvstore-shutdown"));
        stopped.await();
        return 0;
    }

    private static int fail(String message, AutoCloseable... opened) {
        for (AutoCloseable c : opened) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // exiting anyway
                }
            }
        }
        System.err.println("kvstore serve: " + message);
        return StartupException.EXIT_CODE;
    }

    /** {@code serve -V}: the build's version, the same string as {@code /v1/stats} and {@code kvctl --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"kvstore " + io.kvstore.server.admin.AdminServer.VERSION};
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServeCommand()).execute(args));
    }
}
