package io.kvstore.bench.nvme;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kvstore.tier.nvme.Codec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code kvstore bench nvme}: the NVMe tier against the raw disk of the same filesystem ({@link NvmeBench}), and
 * with {@code --codecs} the codec measurement ({@link CodecBench}). Prints a table to stderr and JSON to stdout.
 */
@Command(name = "nvme", mixinStandardHelpOptions = true,
        description = "NVMe tier (segment files + RocksDB index) vs raw disk bandwidth, and codec ratio/speed"
                + " on KV-like data.")
public final class NvmeBenchCommand implements Callable<Integer> {

    @Option(names = "--dir", description = "directory on the disk to measure (default: ./target/nvme-bench)")
    Path dir = Path.of("target", "nvme-bench");

    @Option(names = "--bytes-mib", description = "MiB written per run (default: ${DEFAULT-VALUE})")
    long mib = 1024;

    @Option(names = "--block-kib", description = "block size in KiB (default: ${DEFAULT-VALUE})")
    int blockKib = 2048;

    @Option(names = "--runs", description = "runs; figures are medians (default: ${DEFAULT-VALUE})")
    int runs = 3;

    @Option(names = "--codec", description = "tier codec: ${COMPLETION-CANDIDATES} (default: the tier's default)")
    Codec codec;

    @Option(names = "--data", description = "payload data: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    KvPayloads data = KvPayloads.RANDOM;

    @Option(names = "--batch", description = "keys per readAll call (default: ${DEFAULT-VALUE})")
    int batch = 16;

    @Option(names = "--drop-caches", description = "also drop the page cache before read phases (root)")
    boolean dropCaches;

    @Option(names = "--codecs", description = "run the codec measurement instead of the disk benchmark")
    boolean codecs;

    @Option(names = "--codec-blocks", description = "blocks per codec measurement (default: ${DEFAULT-VALUE})")
    int codecBlocks = 32;

    @Override
    public Integer call() throws Exception {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        if (codecs) {
            List<CodecBench.Row> rows = CodecBench.run(blockKib * 1024, codecBlocks, runs);
            System.err.printf("%-20s %-13s %7s %12s %12s %s%n", "data", "codec", "ratio", "encode GB/s",
                    "decode GB/s", "blocks kept encoded");
            List<Map<String, Object>> out = new java.util.ArrayList<>();
            for (CodecBench.Row r : rows) {
                System.err.printf("%-20s %-13s %7.3f %12.3f %12s %d/%d%n", r.data(), r.codec(), r.ratio(),
                        r.encodeGbps(), Double.isNaN(r.decodeGbps()) ? "-" : String.format("%.3f", r.decodeGbps()),
                        r.blocksKeptEncoded(), r.blocks());
                out.add(r.toMap());
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("block_bytes", blockKib * 1024);
            m.put("rows", out);
            System.out.println(json.writeValueAsString(m));
            return 0;
        }
        NvmeBench.Options d = NvmeBench.Options.shortRun(dir);
        NvmeBench.Options o = new NvmeBench.Options(dir, mib << 20, blockKib * 1024, runs,
                codec == null ? d.codec() : codec, data, batch, dropCaches);
        NvmeBench.Result r = NvmeBench.run(o, System.err);
        System.err.printf("median of %d: write %.3f GB/s = %.0f%% of disk %.3f | seq read %.3f GB/s = %.0f%% of disk"
                        + " %.3f with as many reads in flight (%d; %.0f%% of one at a time, %.3f) | random read %.3f"
                        + " GB/s = %.0f%% of disk %.3f (paired read by read: %.0f%%)%n", runs,
                r.nvmeWriteGbps(), 100 * r.writeRatio(), r.diskWriteGbps(), r.nvmeReadGbps(),
                100 * r.readRatioSameDepth(), r.diskReadSameDepthGbps(), r.readsInFlight(), 100 * r.readRatio(),
                r.diskReadGbps(), r.nvmeRandomReadGbps(), 100 * r.randomReadRatio(), r.diskRandomReadGbps(),
                100 * r.randomReadPairedRatio());
        System.out.println(json.writeValueAsString(r.toMap()));
        return 0;
    }
}
