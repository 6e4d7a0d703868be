package io.kvstore.policy;

import io.kvstore.policy.prefix.AdaptivePrefixPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default policy sizes its sketch, its memory of dropped keys, its frequency bonus and its duel from the
 * blocks it actually tracks, not from the spec's guess of a typical block (a daemon guesses 256 KiB for every
 * tier): a wrong guess either way ends up deciding like the right one.
 */
@Timeout(60)
class AdaptivePrefixSizingTest {

    /** Block weight in these tests, and the real capacity in blocks. */
    static final int WEIGHT = 8;
    static final int BLOCKS = 4096;

    static AdaptivePrefixPolicy<Long> guessing(long expectedBlockBytes) {
        return new AdaptivePrefixPolicy<>(new PolicySpec((long) BLOCKS * WEIGHT, expectedBlockBytes, 1));
    }

    @Test
    void aGuessEightTimesTooSmallOrTooLargeIsCorrectedOnceHalfFull() {
        for (long guess : new long[] {WEIGHT * 8L, WEIGHT / 8}) {
            AdaptivePrefixPolicy<Long> p = guessing(guess);
            assertThat(p.sizedBlocks()).isNotEqualTo(BLOCKS);
            for (long k = 0; k < 3 * BLOCKS; k++) {
                touch(p, k);
            }
            assertThat(p.sizedBlocks()).as("guess %d", guess).isBetween((long) BLOCKS / 2 + 1, 2L * BLOCKS - 1);
            assertThat(p.resizes()).isEqualTo(1);
        }
    }

    @Test
    void aRightGuessNeverResizes() {
        AdaptivePrefixPolicy<Long> p = guessing(WEIGHT);
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 100_000; i++) {
            touch(p, rnd.nextInt(3 * BLOCKS));
        }
        assertThat(p.sizedBlocks()).isEqualTo(BLOCKS);
        assertThat(p.resizes()).isZero();
    }

    /**
     * A hot set too large for a cache of the guessed size but not for the real one, among one-off keys and keys
     * reused once a little later. Sized for an eighth of its capacity, the duel models a cache that only the filter
     * helps (it protects the hot set), and the filter then refuses the keys reused later, which the real cache holds.
     */
    @Test
    void aWrongGuessHitsLikeARightOne() {
        double right = hitRatio(guessing(WEIGHT));
        double wrong = hitRatio(guessing(WEIGHT * 8L));
        System.out.printf("hit ratio: guess right %.4f, guess 8x too large a block %.4f%n", right, wrong);
        assertThat(wrong).isGreaterThan(right - 0.01);
    }

    private static double hitRatio(AdaptivePrefixPolicy<Long> p) {
        SplittableRandom rnd = new SplittableRandom(11);
        long next = 1_000_000;
        long hits = 0;
        long accesses = 0;
        for (int i = 0; i < 300_000; i++) {
            long k;
            int r = rnd.nextInt(3);
            if (r == 0) {
                k = rnd.nextInt(400); // hot set
            } else if (r == 1) {
                k = next++; // new key, reused once 1,500 accesses later
            } else {
                k = Math.max(1_000_000, next - 750); // the key reused
            }
            if (i > 100_000) {
                accesses++;
                hits += p.contains(k) ? 1 : 0;
            }
            touch(p, k);
        }
        return (double) hits / accesses;
    }

    private static void touch(AdaptivePrefixPolicy<Long> p, long k) {
        long cap = (long) BLOCKS * WEIGHT;
        if (p.contains(k)) {
            p.onHit(k);
        } else if (p.admit(Candidate.of(k, null, 0, WEIGHT)) && p.weightedSize() > cap) {
            p.evict(p.weightedSize() - cap, x -> x != k);
        }
    }
}
