package io.kvstore.policy;

import io.kvstore.policy.opt.Clairvoyant;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple4;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every registered policy against a reference model of the SPI contract, on random operation sequences with random
 * weights, capacities and pinned keys: tracked keys and weighted size agree with the model, victims are tracked and
 * evictable, eviction frees enough when it can, and a full store (the TieredStore's loop) never exceeds capacity.
 */
class PolicyContractProperties {
    static final Set<String> PREFIX_CLOSED = Set.of("gdsf", "adaptive-prefix");

    /** Admission rules in front of policies (the rule refuses, the policy evicts), checked like the rest. */
    static final List<String> FILTERED = List.of("admit2:lru", "admit2:adaptive-prefix", "reused:fifo",
            "reused-or-admit2:gdsf", "admit2:tinylfu-fifo");

    static boolean prefixClosed(String name) {
        return PREFIX_CLOSED.contains(name.substring(name.lastIndexOf(':') + 1));
    }

    @Provide
    Arbitrary<String> policies() {
        List<String> all = new java.util.ArrayList<>(PolicyRegistry.names());
        all.addAll(FILTERED);
        return Arbitraries.of(all).filter(n -> !n.equals("opt")).injectDuplicates(0.0);
    }

    @Provide
    Arbitrary<List<Tuple4<Integer, Integer, Integer, Boolean>>> ops() {
        return Arbitraries.integers().between(0, 9).flatMap(kind -> Arbitraries.integers().between(0, 60)
                        .flatMap(key -> Arbitraries.integers().between(1, 5)
                                .flatMap(w -> Arbitraries.of(true, false).map(b -> Tuple.of(kind, key, w, b)))))
                .list().ofMinSize(1).ofMaxSize(250);
    }

    @Property(tries = 40)
    void followsTheContract(@ForAll("policies") String name, @ForAll("ops") List<Tuple4<Integer, Integer, Integer,
            Boolean>> ops, @ForAll("capacity") int capacity) {
        EvictionPolicy<Integer> p = PolicyRegistry.create(name, new PolicySpec(capacity, 1, 7));
        Map<Integer, Long> model = new HashMap<>();
        Set<Integer> pinned = new HashSet<>();
        for (Tuple4<Integer, Integer, Integer, Boolean> op : ops) {
            int kind = op.get1();
            int key = op.get2();
            long w = op.get3();
            if (kind <= 5) { // an access, as the store does it: hit, or admit then make room
                if (model.containsKey(key)) {
                    p.onHit(key);
                } else {
                    Integer parent = key % 6 == 0 ? null : key - 1;
                    boolean admitted = p.admit(new Candidate<>(key, parent, key % 6, w, op.get4() && key % 7 == 0));
                    if (admitted) {
                        model.put(key, w);
                        long over = p.weightedSize() - capacity;
                        if (over > 0) {
                            evictAndCheck(p, model, pinned, over, key);
                        }
                    }
                }
            } else if (kind == 6) {
                p.onRemove(key);
                model.remove(key);
            } else if (kind == 7) {
                if (op.get4()) {
                    pinned.add(key);
                } else {
                    pinned.remove(key);
                }
            } else if (kind == 8) {
                evictAndCheck(p, model, pinned, w, null);
            } else if (model.containsKey(key)) {
                Integer k = key;
                assertThatThrownBy(() -> p.admit(Candidate.of(k, null, 0, 1))).isInstanceOf(IllegalStateException.class);
            }
            assertThat(p.size()).isEqualTo(model.size());
            assertThat(p.weightedSize()).isEqualTo(model.values().stream().mapToLong(Long::longValue).sum());
            for (int k = 0; k <= 60; k++) {
                assertThat(p.contains(k)).as("%s contains %d", name, k).isEqualTo(model.containsKey(k));
            }
            Integer peek = p.peekVictim();
            if (peek != null) {
                assertThat(model).containsKey(peek);
            }
        }
    }

    private static void evictAndCheck(EvictionPolicy<Integer> p, Map<Integer, Long> model, Set<Integer> pinned,
                                      long bytes, Integer incoming) {
        long evictableWeight = model.entrySet().stream()
                .filter(e -> !pinned.contains(e.getKey()) && !e.getKey().equals(incoming))
                .mapToLong(Map.Entry::getValue).sum();
        List<Integer> victims = p.evict(bytes, k -> !pinned.contains(k) && !k.equals(incoming));
        long freed = 0;
        for (Integer v : victims) {
            assertThat(model).containsKey(v);
            assertThat(pinned).doesNotContain(v);
            assertThat(v).isNotEqualTo(incoming);
            freed += model.remove(v);
        }
        assertThat(new HashSet<>(victims)).hasSameSizeAs(victims);
        if (freed < bytes) {
            if (prefixClosed(p.name())) {
                // a leaf-first policy frees everything evictable except parents of blocks that stay
                for (Integer k : model.keySet()) {
                    if (!pinned.contains(k) && !k.equals(incoming)) {
                        assertThat(model).as("%s kept %d although it has no child", p.name(), k)
                                .containsKey(k + 1);
                    }
                }
            } else {
                assertThat(freed).as("%s frees what it can", p.name()).isEqualTo(evictableWeight);
            }
        }
    }

    @Provide
    Arbitrary<Integer> capacity() {
        return Arbitraries.integers().between(1, 40);
    }

    @Property(tries = 20)
    void optIsNeverBeatenOnUniformWeights(@ForAll("accesses") List<Integer> trace, @ForAll("capacity") int cap) {
        long optHits = hits("opt", trace, cap);
        for (String n : PolicyRegistry.names()) {
            assertThat(optHits).as("opt vs %s", n).isGreaterThanOrEqualTo(hits(n, trace, cap));
        }
    }

    @Provide
    Arbitrary<List<Integer>> accesses() {
        return Arbitraries.integers().between(0, 30).list().ofMinSize(1).ofMaxSize(300);
    }

    /** Block hits of independent keys (no chains) replayed like the store does, with uniform weights. */
    static long hits(String name, List<Integer> trace, int cap) {
        EvictionPolicy<Integer> p = PolicyRegistry.create(name, new PolicySpec(cap, 1, 1));
        int[] next = new int[trace.size()];
        Map<Integer, Integer> seen = new HashMap<>();
        for (int i = trace.size() - 1; i >= 0; i--) {
            next[i] = seen.getOrDefault(trace.get(i), Integer.MAX_VALUE);
            seen.put(trace.get(i), i);
        }
        long hits = 0;
        for (int i = 0; i < trace.size(); i++) {
            int k = trace.get(i);
            if (p instanceof Clairvoyant<Integer> c) {
                c.nextAccess(k, next[i] == Integer.MAX_VALUE ? Clairvoyant.NEVER : next[i]);
            }
            if (p.contains(k)) {
                hits++;
                p.onHit(k);
            } else if (p.admit(Candidate.of(k, null, 0, 1)) && p.weightedSize() > cap) {
                p.evict(p.weightedSize() - cap, x -> x != k);
            }
        }
        return hits;
    }
}
