package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ModelTest {

    @Test
    void capacitiesParseAsFractionsBlocksOrBytes() {
        assertThat(Capacity.parse("5%").toBlocks(1000, 10)).isEqualTo(50);
        assertThat(Capacity.parse("0.01%").toBlocks(1000, 10)).isEqualTo(1);
        assertThat(Capacity.parse("250").toBlocks(1000, 10)).isEqualTo(250);
        assertThat(Capacity.parse("1KiB").toBlocks(1000, 10)).isEqualTo(102);
        assertThat(Capacity.parse("2 GB").toBlocks(1000, 1_000_000)).isEqualTo(2000);
        assertThatThrownBy(() -> Capacity.parse("lots")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64GiB");
        assertThatThrownBy(() -> Capacity.parse("0%")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ttftIsPrefillOfMissesPlusTransferOfHits() {
        // one session, two turns of 40 and 60 tokens in 10-token blocks; the second reuses the first 4 blocks
        Trace t = ReplayerTest.trace(null, new long[] {1, 2, 3, 4}, new long[] {1, 2, 3, 4, 5, 6});
        ReplayResult r = new Replayer(t).run(List.of(new LevelConfig("dram", "lru", 100)), null, true, 1);
        TtftModel m = new TtftModel(1000, 0.01, Map.of("dram", 1e6));
        double[] none = m.noCache(t);
        assertThat(none[0]).isCloseTo(0.4, within(1e-12));
        assertThat(none[1]).isCloseTo(0.6, within(1e-12));
        double[] cached = m.withCache(t, r);
        assertThat(cached[1]).isCloseTo(20 * 0.01 + 4 * 1000 / 1e6, within(1e-12));
        TtftModel.Summary s = m.summarize("x", t, cached, r.hitRatioTokens());
        assertThat(s.meanSeconds()).isCloseTo((0.4 + 0.204) / 2, within(1e-12));
        assertThat(s.p99Seconds()).isCloseTo(0.4, within(1e-12));
        assertThat(s.meanSessionSeconds()).isCloseTo(0.302, within(1e-12)); // two one-request sessions
        assertThatThrownBy(() -> new TtftModel(1, 1, Map.of()).withCache(t, r))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bandwidth");
    }
}
