package io.kvstore.policy;

import io.kvstore.policy.admission.FilteredPolicy;
import io.kvstore.policy.admission.Reused;
import io.kvstore.policy.admission.SeenTwice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The flash admission rules against simple models, and their memory bounds. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FlashAdmissionTest {

    @Test
    void admit2RefusesTheFirstOfferAndAdmitsTheSecond() {
        EvictionPolicy<String> p = PolicyRegistry.create("admit2:fifo", PolicySpec.ofCapacity(1000));
        assertThat(p.name()).isEqualTo("admit2:fifo");
        assertThat(p.admit(Candidate.of("a", null, 0, 1))).isFalse();
        assertThat(p.contains("a")).isFalse();
        assertThat(p.admit(Candidate.of("b", null, 0, 1))).isFalse();
        assertThat(p.admit(Candidate.of("a", null, 0, 1))).isTrue();
        assertThat(p.contains("a")).isTrue();
        assertThat(p.size()).isEqualTo(1);
        FilteredPolicy<String> f = (FilteredPolicy<String>) p;
        assertThat(f.offered()).isEqualTo(3);
        assertThat(f.refused()).isEqualTo(2);
        assertThat(f.inner().name()).isEqualTo("fifo");
    }

    /**
     * The doorkeeper against an exact model of what it must remember: every key offered within the last
     * generationSize offers is remembered (no false negatives), keys never offered are rarely taken for seen (false
     * positives under 5%), and a key not offered for more than two generations is forgotten (bar false positives).
     */
    @Test
    void doorkeeperMatchesAnExactWindowModel() {
        SeenTwice<Long> d = new SeenTwice<>(4096);
        long gen = d.generationSize();
        SplittableRandom rnd = new SplittableRandom(7);
        ArrayDeque<Long> recent = new ArrayDeque<>(); // the last gen offers, exactly
        Map<Long, Integer> inRecent = new HashMap<>();
        long falseNegatives = 0;
        long offers = 200_000;
        for (long i = 0; i < offers; i++) {
            // keys from a space of 20 generations, so that many come back within the window and many do not
            long key = rnd.nextLong(20 * gen);
            boolean mustRemember = inRecent.containsKey(key);
            boolean seen = d.seenBefore(key);
            if (mustRemember && !seen) {
                falseNegatives++;
            }
            recent.addLast(key);
            inRecent.merge(key, 1, Integer::sum);
            if (recent.size() > gen) {
                long old = recent.removeFirst();
                inRecent.computeIfPresent(old, (k, c) -> c == 1 ? null : c - 1);
            }
        }
        assertThat(falseNegatives).isZero();
        long fresh = 0;
        for (long k = 0; k < 20_000; k++) {
            if (d.seenBefore(-1 - k)) { // never offered before
                fresh++;
            }
        }
        assertThat(fresh / 20_000.0).as("false positive rate").isLessThan(0.05);
        // after two generations of other offers a key is forgotten, unless it is a false positive
        int forgotten = 0;
        for (long k = 0; k < 100; k++) {
            SeenTwice<Long> f = new SeenTwice<>(4096);
            f.seenBefore(k);
            for (long j = 0; j < 2 * f.generationSize() + 1; j++) {
                f.seenBefore(1_000_000L + j);
            }
            if (!f.seenBefore(k)) {
                forgotten++;
            }
        }
        assertThat(forgotten).isGreaterThanOrEqualTo(90);
    }

    @Test
    void doorkeeperMemoryIsFixedAndBounded() {
        SeenTwice<Long> small = new SeenTwice<>(1000);
        long before = small.memoryBytes();
        for (long k = 0; k < 100_000; k++) {
            small.seenBefore(k);
        }
        assertThat(small.memoryBytes()).isEqualTo(before);
        // 8 to 16 bits per remembered offer
        assertThat(before * 8).isBetween(8L * 1000, 16L * 1000);
        // a mis-sized tier (bytes taken for blocks) costs at most the cap
        SeenTwice<Long> huge = new SeenTwice<>(Long.MAX_VALUE / 2);
        assertThat(huge.memoryBytes()).isLessThanOrEqualTo(SeenTwice.MAX_WINDOW * 2);
    }

    @Test
    void admit2FullAdmitsEverythingWhileTheTierHasRoom() {
        EvictionPolicy<String> p = PolicyRegistry.create("admit2-full:fifo", PolicySpec.ofCapacity(2));
        assertThat(p.admit(Candidate.of("a", null, 0, 1))).isTrue();
        assertThat(p.admit(Candidate.of("b", null, 0, 1))).isTrue();
        assertThat(p.admit(Candidate.of("c", null, 0, 1))).as("full: first offer").isFalse();
        assertThat(p.admit(Candidate.of("c", null, 0, 1))).as("full: second offer").isTrue();
        assertThat(p.evict(2, k -> true)).containsExactly("a", "b"); // the store makes room after admitting c
        assertThat(p.admit(Candidate.of("d", null, 0, 1))).as("room again").isTrue();
    }

    @Test
    void reusedAdmitsOnlyBlocksReadSinceTheyEnteredTheStore() {
        EvictionPolicy<String> p = PolicyRegistry.create("reused:lru", PolicySpec.ofCapacity(10));
        assertThat(p.admit(new Candidate<>("cold", null, 0, 1, false, 0))).isFalse();
        assertThat(p.admit(new Candidate<>("warm", null, 0, 1, false, 1))).isTrue();
        // no count in the candidate and no history: admitted, and counted as unjudged
        assertThat(p.admit(Candidate.of("unknown", null, 0, 1))).isTrue();
        Reused<String> rule = (Reused<String>) ((FilteredPolicy<String>) p).rule();
        assertThat(rule.unknown()).isEqualTo(1);
        // with a history (the simulator's), the count comes from it
        Map<String, Long> reads = Map.of("read-twice", 2L, "never-read", 0L);
        rule.readCountsFrom(k -> reads.getOrDefault(k, Candidate.UNKNOWN_HITS));
        assertThat(p.admit(Candidate.of("read-twice", null, 0, 1))).isTrue();
        assertThat(p.admit(Candidate.of("never-read", null, 0, 1))).isFalse();
        // a count in the candidate wins over the history
        assertThat(p.admit(new Candidate<>("never-read", null, 0, 1, false, 3))).isTrue();
    }

    @Test
    void reusedOrAdmit2AdmitsReadBlocksAtOnceAndOthersOnTheirSecondOffer() {
        EvictionPolicy<String> p = PolicyRegistry.create("reused-or-admit2:fifo", PolicySpec.ofCapacity(1000));
        assertThat(p.admit(new Candidate<>("read", null, 0, 1, false, 1))).isTrue();
        assertThat(p.admit(new Candidate<>("unread", null, 0, 1, false, 0))).isFalse();
        assertThat(p.admit(new Candidate<>("unread", null, 0, 1, false, 0))).isTrue();
    }

    /** A filtered policy behaves like its inner policy on the keys it admits: here FIFO order. */
    @Test
    void aFilteredPolicyEvictsInItsInnerPolicysOrder() {
        EvictionPolicy<Integer> p = PolicyRegistry.create("admit2:fifo", PolicySpec.ofCapacity(3));
        for (int k = 0; k < 5; k++) {
            assertThat(p.admit(Candidate.of(k, null, 0, 1))).isFalse();
        }
        for (int k = 0; k < 3; k++) {
            assertThat(p.admit(Candidate.of(k, null, 0, 1))).isTrue();
        }
        p.onHit(0); // FIFO: hits change nothing
        assertThat(p.peekVictim()).isEqualTo(0);
        assertThat(p.evict(1, k -> true)).containsExactly(0);
        assertThat(p.admit(Candidate.of(3, null, 0, 1))).isTrue();
        assertThat(p.evict(2, k -> true)).containsExactly(1, 2);
    }

    /** On a random trace with reuse, first offers are admitted only as Bloom false positives (a few percent). */
    @Test
    void admit2AdmitsFirstOffersOnlyByFalsePositives() {
        SplittableRandom rnd = new SplittableRandom(3);
        EvictionPolicy<Integer> p = PolicyRegistry.create("admit2:fifo", PolicySpec.ofCapacity(64));
        HashSet<Integer> offered = new HashSet<>();
        int firsts = 0;
        int firstsAdmitted = 0;
        for (int i = 0; i < 20_000; i++) {
            int k = rnd.nextInt(5_000);
            if (p.contains(k)) {
                p.onHit(k);
                continue;
            }
            boolean first = offered.add(k);
            boolean admitted = p.admit(Candidate.of(k, null, 0, 1));
            if (first) {
                firsts++;
                firstsAdmitted += admitted ? 1 : 0;
            }
            if (admitted && p.weightedSize() > 64) {
                p.evict(p.weightedSize() - 64, x -> x != k);
            }
        }
        assertThat(firsts).isGreaterThan(4_000);
        assertThat((double) firstsAdmitted / firsts).isLessThan(0.08);
    }

    /** FIFO with reinsertion: a block read since it was written is rewritten once at the head instead of dropped. */
    @Test
    void fifoReinsertRewritesReadBlocksOnceAndCountsIt() {
        EvictionPolicy<Integer> p = PolicyRegistry.create("fifo-reinsert", PolicySpec.ofCapacity(3));
        for (int k = 1; k <= 3; k++) {
            assertThat(p.admit(Candidate.of(k, null, 0, 1))).isTrue();
        }
        p.onHit(1);
        Relocating r = (Relocating) p;
        assertThat(p.evict(1, k -> true)).containsExactly(2); // 1 was read: moved behind 3
        assertThat(r.relocations()).isEqualTo(1);
        assertThat(p.evict(1, k -> true)).containsExactly(3);
        assertThat(p.evict(1, k -> true)).containsExactly(1); // its one rewrite is spent
        assertThat(r.relocations()).isEqualTo(1);
        // relocations never exceed hits, and a pinned head is skipped, not rewritten
        SplittableRandom rnd = new SplittableRandom(5);
        EvictionPolicy<Integer> q = PolicyRegistry.create("fifo-reinsert", PolicySpec.ofCapacity(50));
        long hits = 0;
        for (int i = 0; i < 20_000; i++) {
            int k = rnd.nextInt(200);
            if (q.contains(k)) {
                q.onHit(k);
                hits++;
            } else if (q.admit(Candidate.of(k, null, 0, 1)) && q.weightedSize() > 50) {
                q.evict(q.weightedSize() - 50, x -> x != k && x != 0);
            }
        }
        assertThat(((Relocating) q).relocations()).isPositive().isLessThanOrEqualTo(hits);
    }

    @Test
    void registryComposesRulesWithAnyPolicy() {
        assertThat(PolicyRegistry.admissionRules()).containsExactly("admit2", "admit2-full", "reused",
                "reused-or-admit2");
        assertThat(PolicyRegistry.exists("admit2:fifo")).isTrue();
        assertThat(PolicyRegistry.exists("ADMIT2:default")).isTrue();
        assertThat(PolicyRegistry.exists("admit2:tinylfu-lru")).isTrue();
        assertThat(PolicyRegistry.exists("admit2:nope")).isFalse();
        assertThat(PolicyRegistry.exists("nope:fifo")).isFalse();
        assertThat(PolicyRegistry.create("admit2:default", PolicySpec.ofCapacity(8)).name())
                .isEqualTo("admit2:adaptive-prefix");
        assertThat(PolicyRegistry.exists("flash-default")).isTrue();
        assertThat(PolicyRegistry.create("flash-default", PolicySpec.ofCapacity(8)).name())
                .isEqualTo(PolicyRegistry.FLASH_DEFAULT_POLICY);
    }
}
