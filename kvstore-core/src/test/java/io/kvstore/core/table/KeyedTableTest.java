package io.kvstore.core.table;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyedTableTest {

    /** A value that carries its key, as the store's entries do. */
    record Item(Integer key, int version) {
    }

    private static KeyedTable<Integer, Item> table(int segments) {
        return new KeyedTable<>(segments, Item::key);
    }

    private static KeyedTable<Integer, Item> table(int segments, boolean compact) {
        return compact ? KeyedTable.compact(segments, Item::key) : table(segments);
    }

    @Test
    void putIfAbsentKeepsTheFirstValueAndPutReplacesIt() {
        KeyedTable<Integer, Item> t = table(4);
        Item a = new Item(1, 1);
        assertThat(t.putIfAbsent(a)).isNull();
        assertThat(t.putIfAbsent(new Item(1, 2))).isSameAs(a);
        assertThat(t.get(1)).isSameAs(a);
        Item b = new Item(1, 3);
        assertThat(t.put(b)).isSameAs(a);
        assertThat(t.get(1)).isSameAs(b);
        assertThat(t.size()).isEqualTo(1);
    }

    @Test
    void removeWithAnExpectedValueComparesByIdentity() {
        KeyedTable<Integer, Item> t = table(1);
        Item a = new Item(7, 1);
        t.putIfAbsent(a);
        assertThat(t.remove(7, new Item(7, 1))).as("equal but not the same object").isFalse();
        assertThat(t.get(7)).isSameAs(a);
        assertThat(t.remove(7, a)).isTrue();
        assertThat(t.get(7)).isNull();
        assertThat(t.remove(7)).isNull();
        assertThat(t.isEmpty()).isTrue();
    }

    /** Against a HashMap, over enough churn to grow, shrink and rebuild over tombstones many times. */
    @ParameterizedTest(name = "compact={0}")
    @ValueSource(booleans = {false, true})
    void agreesWithAHashMapOverRandomChurn(boolean compact) {
        KeyedTable<Integer, Item> t = table(2, compact);
        Map<Integer, Item> model = new HashMap<>();
        Random r = new Random(42);
        for (int op = 0; op < 400_000; op++) {
            // the key range moves so that the table grows, then shrinks as old keys are removed
            int k = r.nextInt(2_000) + (op / 50_000) * 700;
            switch (r.nextInt(4)) {
                case 0 -> {
                    Item v = new Item(k, op);
                    assertThat(t.putIfAbsent(v)).isSameAs(model.putIfAbsent(k, v));
                }
                case 1 -> {
                    Item v = new Item(k, op);
                    assertThat(t.put(v)).isSameAs(model.put(k, v));
                }
                case 2 -> assertThat(t.remove(k)).isSameAs(model.remove(k));
                default -> assertThat(t.get(k)).isSameAs(model.get(k));
            }
            if (op % 97 == 0) { // a batch look-up, present and absent keys mixed, as getAll answers LOOKUP
                List<Integer> keys = new ArrayList<>();
                for (int j = 0; j < 1 + r.nextInt(40); j++) {
                    keys.add(r.nextInt(2_000) + (op / 50_000) * 700);
                }
                int from = r.nextInt(keys.size());
                Object[] out = new Object[keys.size() - from];
                t.getAll(keys, from, out.length, out);
                for (int j = 0; j < out.length; j++) {
                    assertThat(out[j]).as("getAll of key %d", keys.get(from + j)).isSameAs(model.get(keys.get(from + j)));
                }
            }
        }
        assertThat(t.size()).isEqualTo(model.size());
        Set<Item> seen = new HashSet<>();
        for (Item v : t) {
            assertThat(seen.add(v)).as("each value once").isTrue();
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(model.values());
        List<Item> each = new ArrayList<>();
        t.forEach(each::add);
        assertThat(each).containsExactlyInAnyOrderElementsOf(model.values());
        // a churned table is rebuilt at the size its live values need, not the largest it ever was
        assertThat(t.capacity()).isLessThanOrEqualTo(4L * Integer.highestOneBit(model.size()) + 64);
    }

    @Test
    void forEachWhileStopsAtTheFirstNo() {
        KeyedTable<Integer, Item> t = table(8);
        for (int i = 0; i < 100; i++) {
            t.putIfAbsent(new Item(i, 0));
        }
        List<Item> taken = new ArrayList<>();
        assertThat(t.forEachWhile(v -> {
            taken.add(v);
            return taken.size() < 10;
        })).isFalse();
        assertThat(taken).hasSize(10);
        assertThat(t.forEachWhile(v -> true)).isTrue();
    }

    @Test
    void clearEmptiesEverySegment() {
        KeyedTable<Integer, Item> t = table(4);
        for (int i = 0; i < 1_000; i++) {
            t.putIfAbsent(new Item(i, 0));
        }
        t.clear();
        assertThat(t.size()).isZero();
        assertThat(t.get(5)).isNull();
        assertThat(t.iterator().hasNext()).isFalse();
        assertThat(t.putIfAbsent(new Item(5, 1))).isNull();
    }

    @Test
    void aKeySetHoldsEachKeyOnce() {
        KeyedTable<String, String> s = KeyedTable.keySet(1);
        assertThat(s.putIfAbsent("a")).isNull();
        assertThat(s.putIfAbsent("a")).isEqualTo("a");
        assertThat(s.containsKey("a")).isTrue();
        assertThat(s.remove("a")).isEqualTo("a");
        assertThat(s.containsKey("a")).isFalse();
    }

    @Test
    void refusesBadArguments() {
        assertThatThrownBy(() -> new KeyedTable<Integer, Item>(3, Item::key))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
        assertThatThrownBy(() -> table(1).putIfAbsent(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> table(1).putIfAbsent(new Item(null, 0))).isInstanceOf(NullPointerException.class);
    }

    /**
     * Readers without locks while writers churn (inserting, replacing and removing other keys, which grows and
     * rebuilds the segments under the readers): a key present for the whole run is found by every read, single
     * ({@code get}) or batched ({@code getAll}), and a read never answers a value of another key.
     */
    @ParameterizedTest(name = "compact={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aValuePresentThroughoutIsFoundByEveryLockFreeRead(boolean compact) throws Exception {
        KeyedTable<Integer, Item> t = table(2, compact);
        int stable = 2_000;
        for (int i = 0; i < stable; i++) {
            t.putIfAbsent(new Item(i, 0));
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(4);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int seed = w;
            threads.add(new Thread(() -> {
                Random r = new Random(seed);
                try {
                    for (int op = 0; op < 300_000 && failure.get() == null; op++) {
                        int k = stable + r.nextInt(20_000);
                        if (r.nextBoolean()) {
                            t.put(new Item(k, op));
                        } else {
                            t.remove(k);
                        }
                    }
                } finally {
                    done.countDown();
                }
            }));
        }
        for (int rd = 0; rd < 2; rd++) {
            int seed = 100 + rd;
            threads.add(new Thread(() -> {
                Random r = new Random(seed);
                try {
                    while (!stop.get() && failure.get() == null) {
                        int k = r.nextInt(stable);
                        Item v = t.get(k);
                        if (v == null || v.key() != k) {
                            failure.set("key " + k + " read as " + v);
                        }
                        int other = stable + r.nextInt(20_000);
                        Item o = t.get(other);
                        if (o != null && o.key() != other) {
                            failure.set("key " + other + " read as " + o);
                        }
                        // the batch read: stable keys and churned ones mixed
                        List<Integer> keys = List.of(r.nextInt(stable), stable + r.nextInt(20_000),
                                r.nextInt(stable), stable + r.nextInt(20_000), r.nextInt(stable));
                        Object[] out = new Object[keys.size()];
                        t.getAll(keys, 0, keys.size(), out);
                        for (int j = 0; j < out.length; j++) {
                            Item b = (Item) out[j];
                            int want = keys.get(j);
                            if (b == null ? want < stable : b.key() != want) {
                                failure.set("getAll: key " + want + " read as " + b);
                            }
                        }
                    }
                } finally {
                    done.countDown();
                }
            }));
        }
        threads.forEach(Thread::start);
        threads.get(0).join();
        threads.get(1).join();
        stop.set(true);
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(failure.get()).isNull();
        for (int i = 0; i < stable; i++) {
            assertThat(t.get(i)).isNotNull();
        }
        int counted = 0;
        for (Item ignored : t) {
            counted++;
        }
        assertThat(t.size()).isEqualTo(counted);
    }
}
