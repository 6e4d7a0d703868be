package io.kvstore.server;

import com.sun.net.httpserver.HttpServer;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code kvstore serve}: runs the daemon until SIGTERM or Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the kvstore daemon.")
public final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--port", description = "Data (protocol) port; 0 = any free port. Default ${DEFAULT-VALUE}.")
    int port = 7379;

    @Option(names = "--admin-port", description = "HTTP admin port; 0 = any free port. Default ${DEFAULT-VALUE}.")
    int adminPort = 7380;

    @Option(names = "--data-dir", description = "Directory for persistent tiers. Default ${DEFAULT-VALUE}.")
    Path dataDir = Path.of("kvstore-data");

    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(dataDir);
        TieredStore store = TieredStore.builder()
                .tier(TierSpec.of(new HeapTier("dram", 256L << 20),
                        PolicyRegistry.create("default", PolicySpec.ofCapacity(256L << 20))))
                .build();
        HttpServer admin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), adminPort), 16);
        admin.createContext("/healthz", ex -> {
            byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        admin.start();
        LOG.info("kvstore ready: admin http://{}:{}/healthz, data dir {}, tiers {}",
                admin.getAddress().getHostString(), admin.getAddress().getPort(), dataDir.toAbsolutePath(),
                store.tierNames());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("kvstore stopping");
            admin.stop(0);
            store.close();
            LOG.info("kvstore stopped");
            stopped.countDown();
        }, "kvstore-shutdown"));
        stopped.await();
        return 0;
    }

    public static void main(String[] args) throws IOException {
        System.exit(new CommandLine(new ServeCommand()).execute(args));
    }
}
