package io.kvstore.core.store;

import io.kvstore.core.testing.Blocks;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The rule that throttles promotions whose copies earn no hits above, alone. */
class PromotionYieldTest {

    private long nextKey;

    /**
     * Hits on {@code asks} distinct blocks ask for their promotion; each admitted one is promoted and earns {@code
     * hitsEach} hits above. Returns how many were admitted.
     */
    private int ask(PromotionYield y, int asks, double hitsEach) {
        int admitted = 0;
        for (int i = 0; i < asks; i++) {
            admitted += askOne(y, hitsEach) ? 1 : 0;
        }
        return admitted;
    }

    /** Hits on distinct blocks until one window of promotions, each earning {@code hitsEach} hits above. */
    private void window(PromotionYield y, double hitsEach) {
        for (int admitted = 0; admitted < PromotionYield.WINDOW; ) {
            admitted += askOne(y, hitsEach) ? 1 : 0;
        }
    }

    private boolean askOne(PromotionYield y, double hitsEach) {
        if (!y.admits(Blocks.key(nextKey++))) {
            return false;
        }
        owed += hitsEach;
        for (; owed >= 1; owed--) {
            y.copyHit();
        }
        y.promoted();
        return true;
    }

    private double owed;

    @Test
    void promotesEverythingUntilItHasMeasuredAWindow() {
        PromotionYield y = new PromotionYield();
        assertThat(ask(y, PromotionYield.WINDOW - 1, 0)).isEqualTo(PromotionYield.WINDOW - 1);
        assertThat(y.every()).isEqualTo(1);
        assertThat(y.skipped()).isZero();
    }

    @Test
    void copiesThatEarnNothingArePromotedForOneBlockInSixteen() {
        PromotionYield y = new PromotionYield();
        window(y, 0);
        assertThat(y.every()).isEqualTo(PromotionYield.MAX_EVERY);
        int admitted = ask(y, 1600, 0);
        assertThat(admitted).as("about 100 of 1,600 (a hash sample of the keys)").isBetween(70, 130);
        assertThat(y.skipped()).isEqualTo(1600L - admitted);
    }

    @Test
    void aBlockSampledOnceIsSampledAgain() {
        PromotionYield y = new PromotionYield();
        window(y, 0);
        int promotedTwice = 0;
        for (long k = 0; k < 1000; k++) {
            boolean first = y.admits(Blocks.key(k));
            boolean second = y.admits(Blocks.key(k));
            assertThat(second).as("key %d", k).isEqualTo(first);
            promotedTwice += first ? 1 : 0;
        }
        assertThat(promotedTwice).isPositive();
    }

    @Test
    void copiesThatEarnAHitEachArePromotedAllAndTheRuleComesBack() {
        PromotionYield y = new PromotionYield();
        window(y, 1);
        assertThat(y.every()).isEqualTo(1);
        window(y, 0); // the workload changes: the yield halves to 0.5
        assertThat(y.every()).isEqualTo(PromotionYield.MAX_EVERY);
        window(y, 2); // and back: the sampled blocks' copies earn two hits each (1.25)
        assertThat(y.every()).isEqualTo(1);
        assertThat(y.copyHits()).isPositive();
    }

    @Test
    void aYieldBelowOneHitPromotesOneBlockInSixteenHoweverCloseItIs() {
        PromotionYield y = new PromotionYield();
        window(y, 0.25);
        assertThat(y.every()).isEqualTo(PromotionYield.MAX_EVERY);
        window(y, 0.9); // (0.25 + 0.9) / 2
        assertThat(y.every()).isEqualTo(PromotionYield.MAX_EVERY);
        window(y, 1.5); // (0.575 + 1.5) / 2 = 1.04: the promotions pay
        assertThat(y.every()).isEqualTo(1);
    }
}
