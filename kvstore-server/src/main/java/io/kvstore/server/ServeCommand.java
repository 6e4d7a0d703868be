package io.kvstore.server;

import io.kvstore.server.config.ConfigException;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.config.ServerConfig;
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
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the kvstore daemon.")
public final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--config", description = "YAML config file (settings as top-level keys).")
    Path configFile;

    @Option(names = "--port", description = "Data (protocol) port; 0 = any free port. Default 7379.")
    Integer port;

    @Option(names = "--admin-port", description = "HTTP admin port; 0 = any free port, -1 = none. Default 7380.")
    Integer adminPort;

    @Option(names = "--data-dir", description = "Directory for persistent tiers. Default kvstore-data.")
    Path dataDir;

    @Option(names = "--set", description = "Any setting, as name=value (repeatable), e.g. dramCapacityBytes=8GiB.")
    List<String> assignments = new ArrayList<>();

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
        KvServer server;
        try {
            server = new KvServer(config).start();
        } catch (DramTierInUseException e) {
            System.err.println("kvstore serve: " + e.getMessage());
            return 1;
        } catch (ConfigException e) { // a door's port is taken
            System.err.println("kvstore serve: " + e.getMessage());
            return 2;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("kvstore stopping (draining up to {} ms)", config.shutdownGraceMillis());
            server.close();
            LOG.info("kvstore stopped");
            stopped.countDown();
        }, "kvstore-shutdown"));
        stopped.await();
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServeCommand()).execute(args));
    }
}
