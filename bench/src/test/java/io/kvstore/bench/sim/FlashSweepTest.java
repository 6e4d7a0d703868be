package io.kvstore.bench.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.bench.trace.Trace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Flash writes in a DRAM + NVMe replay, against hand computations, and the {@code --dram-nvme} command. */
@Timeout(60)
class FlashSweepTest {
    @TempDir
    Path dir;

    private static ReplayResult dramNvme(Trace t, String dram, long dramBlocks, String nvme) {
        return new Replayer(t).run(List.of(new LevelConfig("dram", dram, dramBlocks),
                new LevelConfig("nvme", nvme, 10)), null, false, 1);
    }

    @Test
    void countsDemotionsIntoFlashAndReDemotionsOfPromotedBlocks() {
        // DRAM LRU of 2 above NVMe FIFO of 10:
        // [1,2] -> DRAM {1,2}; [3,4] -> 1 and 2 demoted (2 writes), DRAM {3,4}, NVMe {1,2};
        // [1,2] -> both hit in NVMe and are promoted, pushing 3 and 4 down (2 writes), NVMe {3,4};
        // [5] -> DRAM's LRU victim 1 goes down again (1 write, a re-demotion of a promoted block)
        Trace t = ReplayerTest.trace(null, new long[] {1, 2}, new long[] {3, 4}, new long[] {1, 2}, new long[] {5});
        ReplayResult r = dramNvme(t, "lru", 2, "fifo");
        assertThat(r.hitBlocks()).isEqualTo(2);
        assertThat(r.hitsPerTier()).containsExactly(0, 2);
        assertThat(r.writtenBlocks()[1]).isEqualTo(5);
        assertThat(r.rewrittenBlocks()[1]).isEqualTo(1);
        assertThat(r.partialWrittenBlocks()[1]).isZero();
        assertThat(r.writtenBlocks()[0]).isEqualTo(5 + 2); // DRAM: 5 puts and 2 promotions
    }

    @Test
    void theDoorkeeperWritesABlockOnlyOnItsSecondOffer() {
        // as above with admit2 on NVMe: 1 and 2 are refused (dropped), so [1,2] misses and is put again, pushing
        // 3 and 4 down (refused, first offers); [5] pushes 1 down for the second time: written
        Trace t = ReplayerTest.trace(null, new long[] {1, 2}, new long[] {3, 4}, new long[] {1, 2}, new long[] {5});
        ReplayResult r = dramNvme(t, "lru", 2, "admit2:fifo");
        assertThat(r.hitBlocks()).isZero();
        assertThat(r.writtenBlocks()[1]).isEqualTo(1);
    }

    @Test
    void reusedWritesOnlyBlocksReadWhileCached() {
        // DRAM LRU of 1: [1], [1] (a DRAM hit), [2] pushes 1 down (read once: written), [3] pushes 2 down (never
        // read: dropped); the replayer supplies the read counts the store does not pass yet
        Trace t = ReplayerTest.trace(null, new long[] {1}, new long[] {1}, new long[] {2}, new long[] {3});
        ReplayResult r = dramNvme(t, "lru", 1, "reused:fifo");
        assertThat(r.writtenBlocks()[1]).isEqualTo(1);
        assertThat(dramNvme(t, "lru", 1, "fifo").writtenBlocks()[1]).isEqualTo(2);
    }

    @Test
    void relocationsOfAReinsertingPolicyAreCountedAsWrites() throws Exception {
        // one fifo-reinsert level of 2: [1], [1] (read), [2], [3] evicts 2 after rewriting 1
        Trace t = ReplayerTest.trace(null, new long[] {1}, new long[] {1}, new long[] {2}, new long[] {3});
        ReplayResult r = new Replayer(t).run(List.of(new LevelConfig("nvme", "fifo-reinsert", 2)), null, false, 1);
        assertThat(r.relocatedBlocks()).containsExactly(1);
        assertThat(r.writtenBlocks()).containsExactly(3);
        // in a hierarchy the flash row adds them to the bytes written
        FlashSweep.Row row = FlashSweep.run(t, List.of(FlashSweep.Sizes.parse("1/10")), "lru",
                List.of("fifo-reinsert"), 8, 1, 1).get(0);
        assertThat(row.flashBlocks()).isEqualTo(row.relocatedBlocks() + 2);
        assertThat(row.flashBytes()).isEqualTo(8 * row.flashBlocks());
    }

    @Test
    void partialBlocksWrittenToFlashAreCounted() {
        // the trailing partial block 3 (5 tokens) is refused by adaptive-prefix in DRAM and falls through to NVMe
        Trace t = ReplayerTest.trace(new int[] {25}, new long[] {1, 2, 3});
        ReplayResult r = dramNvme(t, "adaptive-prefix", 10, "fifo");
        assertThat(r.writtenBlocks()[1]).isEqualTo(1);
        assertThat(r.partialWrittenBlocks()[1]).isEqualTo(1);
    }

    @Test
    void theCommandReportsHitRatioAgainstFlashBytes() throws Exception {
        Path json = dir.resolve("flash.json");
        HitRateCommand cmd = new HitRateCommand();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        cmd.out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(cmd).execute("--trace", "synthetic", "--synthetic-sessions", "20", "--dram-nvme",
                "1%/10%,2%/25%", "--nvme-policies", "none,fifo,admit2:fifo", "--threads", "2", "--json",
                json.toString());
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(out).isZero();
        assertThat(out).contains("DRAM/NVMe 1%/10%").contains("admit2:fifo").contains("flash GiB");
        JsonNode rows = new ObjectMapper().readTree(json.toFile());
        assertThat(rows).hasSize(6);
        JsonNode none = rows.get(0);
        JsonNode fifo = rows.get(1);
        JsonNode admit2 = rows.get(2);
        assertThat(none.get("nvme_policy").asText()).isEqualTo("none");
        assertThat(none.get("flash_written_bytes").asLong()).isZero();
        assertThat(fifo.get("flash_written_bytes").asLong())
                .isEqualTo(fifo.get("flash_written_blocks").asLong() * fifo.get("block_bytes").asLong())
                .isPositive();
        assertThat(fifo.get("hit_ratio_blocks").asDouble()).isGreaterThanOrEqualTo(none.get("hit_ratio_blocks")
                .asDouble());
        assertThat(admit2.get("flash_written_blocks").asLong()).isLessThan(fifo.get("flash_written_blocks").asLong());
        assertThat(FlashSweep.unfiltered("admit2:fifo")).isEqualTo("fifo");
        assertThat(FlashSweep.unfiltered("tinylfu-lru")).isEqualTo("lru");
        assertThat(FlashSweep.unfiltered("lru")).isNull();
    }
}
