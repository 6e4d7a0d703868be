package io.kvstore.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code kvstore bench}: the benchmark harness. Each subcommand is registered here explicitly, one line each.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks and the hit-rate simulator.",
        subcommands = {
            CommandLine.HelpCommand.class,
            io.kvstore.bench.net.NetCommand.class,
            io.kvstore.bench.nvme.NvmeBenchCommand.class,
            io.kvstore.bench.tiers.TiersCommand.class,
            io.kvstore.bench.sim.HitRateCommand.class,
            io.kvstore.bench.engine.MetadataCommand.class,
            io.kvstore.bench.load.LoadCommand.class,
        })
public final class BenchMain implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }
}
