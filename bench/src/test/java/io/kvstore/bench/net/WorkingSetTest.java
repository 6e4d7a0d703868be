package io.kvstore.bench.net;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WorkingSetTest {

    @Test
    void parsesSysfsCacheSizes() {
        assertThat(WorkingSet.parseSize("266240K")).isEqualTo(266240L * 1024);
        assertThat(WorkingSet.parseSize("32M")).isEqualTo(32L << 20);
        assertThat(WorkingSet.parseSize("512")).isEqualTo(512);
    }

    @Test
    void coversTwiceTheLastLevelCacheWithinBounds() {
        assertThat(WorkingSet.values(260L << 20, 1 << 20)).isEqualTo(520);
        assertThat(WorkingSet.values(0, 1 << 20)).isEqualTo(WorkingSet.MIN_VALUES);
        assertThat(WorkingSet.values(1L << 40, 1 << 10)).isEqualTo(WorkingSet.MAX_VALUES);
        assertThat((long) WorkingSet.values(3L << 20, 4000) * 4000).isGreaterThanOrEqualTo(6L << 20);
    }
}
