package io.kvstore.bench.tiers;

import io.kvstore.bench.nvme.NvmeBench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The NVMe tier's section: the short {@link NvmeBench} run (2 MiB blocks, the NVMe tier against O_DIRECT raw disk
 * of the same filesystem, in the same run), in a temporary directory under the working directory so that it
 * measures the disk the daemon would use. Fields: {@code nvme_write_gbps}, {@code nvme_read_gbps},
 * {@code disk_write_gbps}, {@code disk_read_gbps} and the ratios.
 */
final class NvmeSection implements TierBenchmark {

    @Override
    public String name() {
        return "nvme";
    }

    @Override
    public Map<String, Object> run(TierBenchSettings s, PrintStream out) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("").toAbsolutePath(), "kvstore-bench-nvme-");
        try {
            return NvmeBench.run(NvmeBench.Options.shortRun(dir), out).toMap();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
