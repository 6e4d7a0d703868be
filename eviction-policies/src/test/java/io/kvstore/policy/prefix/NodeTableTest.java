package io.kvstore.policy.prefix;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The default policy's compact structures against plain Java collections. */
@Timeout(30)
class NodeTableTest {

    /** A key whose hash code is chosen, so that many keys share a bucket. */
    private record Key(long id, int hash) {
        @Override
        public int hashCode() {
            return hash;
        }
    }

    @Test
    void matchesAHashMapThroughGrowthRemovalsAndCollisions() {
        SplittableRandom rnd = new SplittableRandom(7);
        NodeTable<Key> table = new NodeTable<>(8);
        Map<Key, PrefixNode<Key>> model = new HashMap<>();
        for (int op = 0; op < 100_000; op++) {
            int id = rnd.nextInt(4_000);
            Key k = new Key(id, id % 500); // eight keys per hash code
            if (op == 50_000) {
                for (int r = 0; r < 4_000; r += 2) { // shrink, then grow again
                    assertThat(table.remove(new Key(r, r % 500))).isSameAs(model.remove(new Key(r, r % 500)));
                }
            }
            if (rnd.nextInt(3) > 0 && !model.containsKey(k)) {
                PrefixNode<Key> n = new PrefixNode<>(k, null, 1);
                table.add(n);
                model.put(k, n);
            } else {
                assertThat(table.remove(k)).isSameAs(model.remove(k));
            }
            int pid = rnd.nextInt(5_000);
            Key probe = new Key(pid, pid % 500);
            assertThat(table.get(probe)).isSameAs(model.get(probe));
            assertThat(table.size()).isEqualTo(model.size());
        }
        for (Map.Entry<Key, PrefixNode<Key>> e : model.entrySet()) {
            assertThat(table.get(e.getKey())).isSameAs(e.getValue());
        }
        assertThat(model.size()).as("the table grew well past its initial 16 buckets").isGreaterThan(1_000);
        assertThat(table.get(new Key(1, 2))).as("same hash code as no key, different id").isNull();
    }

    @Test
    void droppedKeysRemembersRecentKeysAndForgetsOnRemoveOrOverwrite() {
        DroppedKeys d = new DroppedKeys(256); // 64 slots
        for (long k = 0; k < 64; k++) {
            d.add(k);
            assertThat(d.contains(k)).isTrue();
        }
        d.remove(5L);
        assertThat(d.contains(5L)).isFalse();
        d.remove(6L);
        d.remove(6L);
        assertThat(d.contains(6L)).isFalse();
        long remembered = 0;
        for (long k = 1_000; k < 1_064; k++) {
            d.add(k);
        }
        for (long k = 0; k < 64; k++) {
            remembered += d.contains(k) ? 1 : 0;
        }
        assertThat(remembered).as("64 newer keys overwrite most of 64 slots").isLessThan(40);
        long falsePositives = 0;
        for (long k = 100_000; k < 200_000; k++) {
            falsePositives += d.contains(k) ? 1 : 0;
        }
        assertThat(falsePositives).isZero();
    }
}
