package io.kvstore.policy;

import io.kvstore.policy.prefix.AdaptivePrefixPolicy;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.RepetitionInfo;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The adaptive policy's promise, fuzzed: replaying random requests over a random prefix tree the way the store
 * does (leading blocks in order, each a hit or an admission followed by eviction down to the capacity), no tracked
 * block ever lacks its parent, whatever the capacity and whether the filter is on or off.
 */
@Timeout(30)
class PrefixClosureTest {

    @RepeatedTest(8)
    void adaptivePrefixStaysPrefixClosed(RepetitionInfo info) {
        SplittableRandom rnd = new SplittableRandom(info.getCurrentRepetition());
        int cap = 2 + rnd.nextInt(60);
        AdaptivePrefixPolicy<Long> p = new AdaptivePrefixPolicy<>(new PolicySpec(cap, 1, 1));
        Map<Long, Long> parentOf = new HashMap<>();
        for (int req = 0; req < 2000; req++) {
            // a request: a root among a few, then a random walk down a tree with small fan-out
            long key = 1 + rnd.nextInt(5);
            Long parent = null;
            int len = 1 + rnd.nextInt(Math.min(12, cap - 1)); // shorter than the capacity: room can always be made
            for (int pos = 0; pos < len; pos++) {
                if (pos > 0) {
                    key = key * 8 + 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 4 : 2);
                }
                parentOf.put(key, parent);
                long k = key;
                boolean partial = pos == len - 1 && rnd.nextBoolean();
                if (p.contains(k)) {
                    p.onHit(k);
                } else if (p.admit(new Candidate<>(k, parent, pos, 1, partial))) {
                    assertThat(partial).isFalse();
                    if (p.weightedSize() > cap) {
                        p.evict(p.weightedSize() - cap, x -> x != k);
                    }

                }
                parent = key;
            }
            assertThat(p.weightedSize()).isLessThanOrEqualTo(cap);
            if (req % 20 != 19) {
                continue;
            }
            for (Map.Entry<Long, Long> e : parentOf.entrySet()) {
                if (p.contains(e.getKey()) && e.getValue() != null) {
                    assertThat(p.contains(e.getValue())).as("parent of %d", e.getKey()).isTrue();
                }
            }
        }
    }

    @Test
    void filterSwitchesOnForAScanOverAHotSetAndOffForShortReuse() {
        // hot set of 50 keys re-read constantly among a long scan of one-off keys: filtering wins
        AdaptivePrefixPolicy<Long> scan = new AdaptivePrefixPolicy<>(new PolicySpec(100, 1, 1));
        SplittableRandom rnd = new SplittableRandom(3);
        long next = 1000;
        for (int i = 0; i < 60_000; i++) {
            long k = rnd.nextInt(3) == 0 ? rnd.nextInt(50) : next++;
            touch(scan, k, 100);
        }
        assertThat(scan.filtering()).isTrue();
        // keys reused once shortly after first use, never again: a filter refuses exactly those
        AdaptivePrefixPolicy<Long> recent = new AdaptivePrefixPolicy<>(new PolicySpec(100, 1, 1));
        for (long i = 0; i < 60_000; i++) {
            touch(recent, i, 100);
            touch(recent, i - 20, 100);
        }
        assertThat(recent.filtering()).isFalse();
    }

    @Test
    void aDroppedParentCachedInAnotherTierDoesNotStopItsChild() {
        AdaptivePrefixPolicy<Long> p = new AdaptivePrefixPolicy<>(new PolicySpec(4, 1, 1));
        assertThat(p.admit(Candidate.of(1L, null, 0, 1))).isTrue();
        assertThat(p.evict(1, k -> true)).containsExactly(1L); // dropped here (say, demoted to the tier below)
        assertThat(p.admit(Candidate.of(2L, 1L, 1, 1))).as("parent dropped, nowhere else").isFalse();
        assertThat(p.admit(new Candidate<>(3L, 1L, 1, 1, false, Candidate.UNKNOWN_HITS, true)))
                .as("parent dropped here but cached in another tier").isTrue();
    }

    private static void touch(AdaptivePrefixPolicy<Long> p, long k, int cap) {
        if (p.contains(k)) {
            p.onHit(k);
        } else if (p.admit(Candidate.of(k, null, 0, 1)) && p.weightedSize() > cap) {
            p.evict(p.weightedSize() - cap, x -> x != k);
        }
    }
}
