package io.kvstore.server.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The prefix-load rule on hand-made cases: 1,000 tokens/s, so a token of miss weighs a millisecond x the weight. */
@Timeout(10)
class PrefixLoadRuleTest {

    private static final boolean[] ALL = {true, true};
    private final SplittableRandom random = new SplittableRandom(1);

    private static PrefixLoadRule rule() {
        return new PrefixLoadRule(2, PrefixLoadRule.Settings.defaults(1000)); // miss weight 10
    }

    @Test
    void aConversationStaysWithItsContextUntilTheQueueThereOutweighsTheWeightedMiss() {
        PrefixLoadRule r = rule();
        // 100 tokens on endpoint 0: 0.1 s queued there
        assertThat(r.route(0, 100, new long[] {0, 0}, ALL, random).endpoint()).isIn(0, 1);
        PrefixLoadRule.Decision first = r.route(0, 100, new long[] {0, 0}, ALL, random); // the other one, now
        assertThat(first.placed()).isTrue();
        // both endpoints have 0.1 s queued; endpoint 1 holds 50 of 60 tokens: 0.1 + 10 x 0.010 against 0.1 + 10 x 0.060
        PrefixLoadRule.Decision stay = r.route(0, 60, new long[] {0, 50}, ALL, random);
        assertThat(stay.endpoint()).isEqualTo(1);
        assertThat(stay.placed()).isFalse();
        assertThat(stay.cost()[1]).isCloseTo(0.1 + 0.1, org.assertj.core.api.Assertions.within(1e-9));
        // with 2 s queued on endpoint 1, the queue outweighs the 50 tokens it holds (10 x 0.05 s = 0.5 s)
        PrefixLoadRule busy = rule();
        busy.route(0, 2000, new long[] {0, 0}, new boolean[] {false, true}, random);
        assertThat(busy.route(0, 60, new long[] {0, 50}, ALL, random).endpoint()).isZero();
    }

    @Test
    void aNewChainGoesToTheCacheAskedForLeastLatelyAmongTheEndpointsThatCanStartItSoon() {
        PrefixLoadRule r = rule();
        r.route(0, 1000, new long[] {0, 0}, new boolean[] {true, false}, random); // endpoint 0: 1 s queued, 1000 tokens
        r.route(0, 1000, new long[] {0, 0}, new boolean[] {false, true}, random); // endpoint 1: the same
        // endpoint 1 serves a conversation that hits: its queue barely grows, its footprint does
        for (int i = 0; i < 5; i++) {
            assertThat(r.route(1.0, 1000, new long[] {0, 990}, ALL, random).endpoint()).isEqualTo(1);
        }
        // a new chain of 400 tokens: both can start it within 0.5 x 0.4 s of each other; endpoint 0's cache is quieter
        PrefixLoadRule.Decision d = r.route(1.0, 400, new long[] {0, 0}, ALL, random);
        assertThat(d.placed()).isTrue();
        assertThat(d.endpoint()).isZero();
    }

    @Test
    void aNewChainIsNotPlacedWhereItWouldWaitMuchLongerOrOnAnEndpointFarAboveTheMeanLoad() {
        PrefixLoadRule r = rule();
        r.route(0, 5000, new long[] {0, 0}, new boolean[] {true, false}, random); // endpoint 0: 5 s queued
        r.route(0, 10, new long[] {0, 0}, new boolean[] {false, true}, random);
        for (int i = 0; i < 20; i++) { // endpoint 1's cache is the busier one, but its queue is short
            r.route(0, 1000, new long[] {0, 1000}, ALL, random);
        }
        assertThat(r.route(0, 100, new long[] {0, 0}, ALL, random).endpoint()).isEqualTo(1);
        // endpoint 0 has prefilled 5000 tokens, endpoint 1 110 so far: even once its queue is done, 0 is far above
        // 1.1 x the mean, so a new chain goes to 1 even though 1's footprint is larger
        assertThat(r.route(100, 100, new long[] {0, 0}, ALL, random).endpoint()).isEqualTo(1);
    }

    @Test
    void anEndpointThatIsNotEligibleIsNeverChosen() {
        PrefixLoadRule r = rule();
        for (int i = 0; i < 20; i++) {
            PrefixLoadRule.Decision d = r.route(i, 100, new long[] {100, 0}, new boolean[] {false, true}, random);
            assertThat(d.endpoint()).isEqualTo(1);
            assertThat(d.cost()[0]).isNaN();
        }
    }

    @Test
    void badInputIsRefusedWithATypedError() {
        PrefixLoadRule r = rule();
        assertThatThrownBy(() -> r.route(0, 10, new long[] {0}, ALL, random))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 endpoints");
        assertThatThrownBy(() -> r.route(0, 10, new long[] {0, 0}, new boolean[] {false, false}, random))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no eligible endpoint");
        assertThatThrownBy(() -> new PrefixLoadRule(0, PrefixLoadRule.Settings.defaults(1000)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PrefixLoadRule.Settings(1000, 10, 0.5, 300, 0.9))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max load factor");
    }
}
