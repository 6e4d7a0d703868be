package io.kvstore.bench.nvme;

import io.kvstore.tier.nvme.Codec;
import io.kvstore.tier.nvme.NvmeTierConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class NvmeBenchTest {

    @TempDir
    Path dir;

    @Test
    void theSequentialReadHasABaselineWithTheTiersReadsInFlight() throws Exception {
        NvmeBench.Options o = new NvmeBench.Options(dir, 16L << 20, 1 << 20, 1, Codec.NONE, KvPayloads.RANDOM, 16,
                false);
        NvmeBench.Result r = NvmeBench.run(o);
        Map<String, Object> m = r.toMap();
        // 16 keys of 1 MiB per readAll, batches of 4 MiB: 4 batches, at most the tier's 4 I/O threads
        assertThat(r.readsInFlight()).isEqualTo(4);
        assertThat(m.get("nvme_reads_in_flight")).isEqualTo(4);
        assertThat(r.diskReadSameDepthGbps()).isPositive();
        assertThat((double) m.get("nvme_read_same_depth_ratio"))
                .isEqualTo(r.nvmeReadGbps() / r.diskReadSameDepthGbps());
    }

    @Test
    void readsInFlightFollowTheTiersBatchingAndThreads() {
        NvmeTierConfig cfg = NvmeTierConfig.builder(dir, 1L << 30).build(); // 4 threads, 16 keys, 4 MiB a batch
        assertThat(NvmeBench.readsInFlight(cfg, options(2 << 20, 16))).isEqualTo(4); // 8 batches of 2 blocks
        assertThat(NvmeBench.readsInFlight(cfg, options(4 << 20, 2))).isEqualTo(2); // 2 batches of 1 block
        assertThat(NvmeBench.readsInFlight(cfg, options(64 << 10, 16))).isEqualTo(1); // one batch of 16 keys
    }

    private NvmeBench.Options options(int blockBytes, int batchKeys) {
        return new NvmeBench.Options(dir, blockBytes, blockBytes, 1, Codec.NONE, KvPayloads.RANDOM, batchKeys, false);
    }
}
