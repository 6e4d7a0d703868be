package io.kvstore.policy;

import io.kvstore.policy.frequency.FrequencySketch;
import io.kvstore.policy.opt.Clairvoyant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each policy on a short hand-made trace whose victims are known. Weights are 1 unless said. */
@Timeout(10)
class HandMadeTraceTest {

    /** A tiny driver that does what the store does: hit or admit, then evict down to the capacity. */
    static final class Cache {
        final EvictionPolicy<String> p;
        final int cap;
        final List<String> evicted = new ArrayList<>();
        final List<String> refused = new ArrayList<>();

        Cache(String policy, int cap) {
            this.p = PolicyRegistry.create(policy, new PolicySpec(cap, 1, 1));
            this.cap = cap;
        }

        Cache access(String... keys) {
            for (String k : keys) {
                access(Candidate.of(k, null, 0, 1));
            }
            return this;
        }

        void access(Candidate<String> c) {
            if (p.contains(c.key())) {
                p.onHit(c.key());
            } else if (p.admit(c)) {
                if (p.weightedSize() > cap) {
                    evicted.addAll(p.evict(p.weightedSize() - cap, k -> !k.equals(c.key())));
                }
            } else {
                refused.add(c.key());
            }
        }
    }

    @Test
    void lruEvictsTheLeastRecentlyUsed() {
        assertThat(new Cache("lru", 3).access("a", "b", "c", "a", "d").evicted).containsExactly("b");
    }

    @Test
    void fifoIgnoresHits() {
        assertThat(new Cache("fifo", 3).access("a", "b", "c", "a", "d").evicted).containsExactly("a");
    }

    @Test
    void lfuEvictsTheLeastFrequentThenAges() {
        Cache c = new Cache("lfu", 3).access("a", "a", "a", "b", "b", "c", "d");
        assertThat(c.evicted).containsExactly("c");
        c.access("e"); // d (freq 1, priority L+1 = 2) goes before b (freq 2)
        assertThat(c.evicted).containsExactly("c", "d");
    }

    @Test
    void sieveGivesVisitedEntriesASecondChance() {
        Cache c = new Cache("sieve", 3).access("a", "b", "c", "a", "d");
        assertThat(c.evicted).containsExactly("b");
        c.access("e"); // the hand moved past a (bit cleared) to c
        assertThat(c.evicted).containsExactly("b", "c");
    }

    @Test
    void s3fifoDropsOneHitWondersAndReadmitsGhostsToMain() {
        Cache c = new Cache("s3fifo", 10);
        c.access("h1", "h2");
        c.access("h1", "h2"); // hit once: promoted to main when they reach the small queue's head
        for (int i = 0; i < 30; i++) {
            c.access("scan" + i);
        }
        assertThat(c.p.contains("h1")).isTrue();
        assertThat(c.p.contains("h2")).isTrue();
        assertThat(c.evicted).contains("scan0");
        c.access("scan0"); // remembered by the ghost: goes to main
        for (int i = 30; i < 36; i++) {
            c.access("scan" + i);
        }
        assertThat(c.p.contains("scan0")).isTrue();
    }

    @Test
    void arcProtectsFrequentKeysFromAScan() {
        Cache arc = new Cache("arc", 4).access("x", "y", "x", "y");
        Cache lru = new Cache("lru", 4).access("x", "y", "x", "y");
        for (int i = 0; i < 10; i++) {
            arc.access("s" + i);
            lru.access("s" + i);
        }
        assertThat(arc.p.contains("x") && arc.p.contains("y")).isTrue();
        assertThat(lru.p.contains("x") || lru.p.contains("y")).isFalse();
    }

    @Test
    void tinyLfuRefusesACandidateRarerThanTheVictim() {
        Cache c = new Cache("tinylfu", 2).access("a", "a", "a", "b", "b", "b", "c");
        assertThat(c.refused).containsExactly("c");
        assertThat(c.evicted).isEmpty();
        c.access("c", "c", "c", "c"); // now more frequent than the victim
        assertThat(c.p.contains("c")).isTrue();
        assertThat(PolicyRegistry.create("tinylfu-fifo", PolicySpec.ofCapacity(2)).name()).isEqualTo("tinylfu-fifo");
    }

    @Test
    void greedyDualEvictsLeavesAndPrefersCheapBlocks() {
        Cache c = new Cache("gdsf", 3);
        c.access(Candidate.of("a", null, 0, 1));
        c.access(Candidate.of("b", "a", 1, 1));
        c.access(Candidate.of("c", "b", 2, 1));
        c.access(Candidate.of("x", null, 0, 1)); // a is oldest but has a child: the leaf c goes first
        assertThat(c.evicted).containsExactly("c");
        c.access(Candidate.of("y", null, 0, 1)); // leaves are b (position 1) and x (position 0): x is cheaper
        assertThat(c.evicted).containsExactly("c", "x");
    }

    @Test
    void beladyEvictsTheFarthestNextUseAndBypassesDeadBlocks() {
        EvictionPolicy<String> p = PolicyRegistry.create("opt", PolicySpec.ofCapacity(2));
        Clairvoyant<String> o = (Clairvoyant<String>) p;
        String[] trace = {"a", "b", "c", "a", "b", "d"};
        long hits = 0;
        for (int i = 0; i < trace.length; i++) {
            String k = trace[i];
            long next = Clairvoyant.NEVER;
            for (int j = i + 1; j < trace.length; j++) {
                if (trace[j].equals(k)) {
                    next = j;
                    break;
                }
            }
            o.nextAccess(k, next);
            if (p.contains(k)) {
                hits++;
                p.onHit(k);
            } else if (p.admit(Candidate.of(k, null, 0, 1)) && p.weightedSize() > 2) {
                p.evict(1, x -> !x.equals(k));
            }
        }
        assertThat(hits).isEqualTo(2); // c and d are never reused: bypassed; a and b hit
        assertThatThrownBy(() -> p.admit(Candidate.of("z", null, 0, 1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nextAccess");
    }

    @Test
    void adaptivePrefixNeverAdmitsPartialBlocksNorChildrenOfDroppedParents() {
        Cache c = new Cache("adaptive-prefix", 3);
        c.access(new Candidate<>("p0", null, 0, 1, true));
        assertThat(c.refused).containsExactly("p0");
        c.access(Candidate.of("a", null, 0, 1));
        c.access(Candidate.of("b", "a", 1, 1));
        c.access(Candidate.of("c", "b", 2, 1));
        c.access(Candidate.of("x", null, 0, 1)); // evicts the leaf c, never a or b
        assertThat(c.evicted).containsExactly("c");
        c.access(Candidate.of("d", "c", 3, 1)); // c was dropped: its child is refused
        assertThat(c.refused).containsExactly("p0", "d");
    }

    @Test
    void frequencySketchCountsAndAges() {
        FrequencySketch s = new FrequencySketch(64);
        for (int i = 0; i < 5; i++) {
            s.increment("hot");
        }
        assertThat(s.frequency("hot")).isEqualTo(5);
        assertThat(s.frequency("cold")).isLessThanOrEqualTo(1);
        for (int i = 0; i < 20; i++) {
            s.increment("hot");
        }
        assertThat(s.frequency("hot")).isEqualTo(15);
        for (int i = 0; i < 10 * 64; i++) {
            s.increment("k" + i); // past the sample size: every counter is halved
        }
        assertThat(s.frequency("hot")).isLessThan(15);
    }

    @Test
    void registryResolvesDefaultAndRejectsUnknownNames() {
        assertThat(PolicyRegistry.resolve("default")).isEqualTo(PolicyRegistry.DEFAULT_POLICY)
                .isEqualTo("adaptive-prefix");
        assertThat(PolicyRegistry.create("DEFAULT", PolicySpec.ofCapacity(8)).name()).isEqualTo("adaptive-prefix");
        assertThat(PolicyRegistry.names()).contains("lru", "fifo", "lfu", "arc", "s3fifo", "sieve", "tinylfu",
                "gdsf", "opt", "adaptive-prefix");
        assertThatThrownBy(() -> PolicyRegistry.create("nope", PolicySpec.ofCapacity(8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lru");
    }
}
