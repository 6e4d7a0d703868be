package io.kvstore.server.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link HolderMap} against a HashMap under random updates, removals (backward shift) and bulk clears. */
@Timeout(30)
class HolderMapTest {

    @Test
    void randomUpdatesRemovalsAndClearsMatchAHashMap() {
        HolderMap m = new HolderMap(500);
        Map<Long, Long> model = new HashMap<>();
        SplittableRandom rnd = new SplittableRandom(7);
        for (int step = 0; step < 200_000; step++) {
            long key = rnd.nextInt(700) * 0x1000_0000_0001L; // collide often in a small table
            int op = rnd.nextInt(10);
            if (op < 6) {
                long bit = 1L << rnd.nextInt(64);
                boolean ok = m.update(key, x -> x | bit);
                if (ok) {
                    model.merge(key, bit, (a, b) -> a | b);
                } else {
                    assertThat(model).doesNotContainKey(key).hasSize(500);
                }
            } else if (op < 9) {
                long bit = 1L << rnd.nextInt(64);
                m.update(key, x -> x & ~bit);
                Long old = model.get(key);
                if (old != null) {
                    if ((old & ~bit) == 0) {
                        model.remove(key);
                    } else {
                        model.put(key, old & ~bit);
                    }
                }
            } else if (rnd.nextInt(50) == 0) {
                long keep = rnd.nextLong();
                m.updateAll(x -> x & keep);
                model.replaceAll((k, v) -> v & keep);
                model.values().removeIf(v -> v == 0);
            }
            if (step % 997 == 0) {
                assertThat(m.size()).isEqualTo(model.size());
                model.forEach((k, v) -> assertThat(m.get(k)).isEqualTo(v));
            }
        }
        assertThat(m.size()).isEqualTo(model.size());
        model.forEach((k, v) -> assertThat(m.get(k)).isEqualTo(v));
        assertThat(m.footprintBytes()).isEqualTo(16L * 1024);
    }
}
