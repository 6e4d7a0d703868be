package io.kvstore.server.index;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code kvstore index}: runs an {@link IndexService} until SIGTERM or Ctrl-C. */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Cache-aware routing service: subscribes to the KV-event streams of kvstore daemons and vLLM "
                + "engines, answers POST /v1/score and /v1/route (docs/routing.md).")
public final class IndexCommand implements Callable<Integer> {

    @Option(names = "--endpoint", required = true, paramLabel = "NAME=EVENTS[,REPLAY]",
            description = "A publisher: name, its PUB address and optionally its replay address, e.g. "
                    + "a=tcp://10.0.0.1:5557,tcp://10.0.0.1:5558 (repeat, at most 16).")
    List<String> endpoints = new ArrayList<>();

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "HTTP address. Default: ${DEFAULT-VALUE}.")
    String bind;

    @Option(names = "--port", defaultValue = "7390", description = "HTTP port (0 = any). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--silence-millis", defaultValue = "3000",
            description = "An endpoint silent this long is presumed dead. Default: ${DEFAULT-VALUE}.")
    long silenceMillis;

    @Option(names = "--max-blocks", defaultValue = "4194304",
            description = "Blocks indexed at most, 32 bytes each (allocated at start). Default: ${DEFAULT-VALUE}.")
    int maxBlocks;

    @Option(names = "--prefill-tokens-per-second", defaultValue = "12000",
            description = "One endpoint's prefill speed (load model). Default: ${DEFAULT-VALUE}.")
    double prefillTokensPerSecond;

    @Option(names = "--miss-weight", defaultValue = "10",
            description = "Weight of tokens to prefill against queued time. Default: ${DEFAULT-VALUE}.")
    double missWeight;

    @Option(names = "--block-tokens", defaultValue = "16",
            description = "Tokens per block for requests that give hashes only. Default: ${DEFAULT-VALUE}.")
    int blockTokens;

    @Override
    public Integer call() throws Exception {
        List<IndexService.Endpoint> eps = new ArrayList<>();
        for (String e : endpoints) {
            int eq = e.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("--endpoint: expected NAME=EVENTS[,REPLAY], got '" + e + "'");
            }
            String[] addr = e.substring(eq + 1).split(",", 2);
            eps.add(new IndexService.Endpoint(e.substring(0, eq), addr[0].trim(), addr.length > 1 ? addr[1].trim() : ""));
        }
        IndexService s = new IndexService(new IndexService.Settings(eps, bind, port, silenceMillis, maxBlocks,
                prefillTokensPerSecond, missWeight, blockTokens));
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new IndexCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("kvstore index: " + ex.getMessage());
            return 2;
        });
        System.exit(cl.execute(args));
    }
}
