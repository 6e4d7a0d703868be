package io.kvstore.bench.hybrid;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ModelShapeTest {

    @Test
    void jambaKeepsAnEighthOfTheKvAndAFixedSizeSnapshot() {
        ModelShape j = ModelShape.parse("jamba-1.5-mini");
        assertThat(j.hybrid()).isTrue();
        assertThat(j.kvBytesPerToken()).isEqualTo(2L * 4 * 8 * 128 * 2); // 16 KiB
        assertThat(j.blockBytes(512)).isEqualTo(8L << 20);
        assertThat(j.snapshotBytes()).isEqualTo(28L * (8192 * 16 + 8192 * 3) * 2); // 8,716,288
        ModelShape l = ModelShape.parse("llama3.1-8b");
        assertThat(l.hybrid()).isFalse();
        assertThat(l.snapshotBytes()).isZero();
        assertThat(l.kvBytesPerToken()).isEqualTo(8 * j.kvBytesPerToken());
    }

    @Test
    void prefillFlopsAreLinearInTheWeightsPlusQuadraticAttention() {
        ModelShape l = ModelShape.LLAMA3_8B;
        assertThat(l.prefillFlops(0)).isZero();
        assertThat(l.prefillFlops(1000)).isCloseTo(2 * 8.0e9 * 1000 + 2.0 * 32 * 4096 * 1e6, within(1.0));
        // the quadratic term makes a long prefix worth more than proportionally
        assertThat(l.prefillFlops(100_000)).isGreaterThan(100 * l.prefillFlops(1000));
        assertThat(ModelShape.GPU_PREFILL_FLOPS / (2 * 8.0e9)).isCloseTo(12_000, within(1e-6));
    }

    @Test
    void unknownPresetIsAClearError() {
        assertThat(ModelShape.isPreset("jamba-1.5-mini")).isTrue();
        assertThat(ModelShape.isPreset("llama3-70b")).isFalse();
        assertThatThrownBy(() -> ModelShape.parse("mamba-9000")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown model 'mamba-9000'").hasMessageContaining("jamba-1.5-mini");
    }
}
