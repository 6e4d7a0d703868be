package io.kvstore.policy;

import io.kvstore.policy.prefix.AdaptivePrefixPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default policy's leaf order: last touch plus a frequency bonus, and among equal priorities the leaf touched
 * longer ago first. The order of ties lives in the priority's low bits (the node keeps no stamp), so it is checked
 * here with a tie built on purpose.
 */
@Timeout(10)
class AdaptivePrefixOrderTest {

    /** Capacity 8 blocks of 1 byte: the bonus per counted occurrence is 8 / 8 = 1 tick. */
    private static AdaptivePrefixPolicy<Long> policyWithBonusOfOneTick() {
        return new AdaptivePrefixPolicy<>(new PolicySpec(8, 1, 1));
    }

    @Test
    void amongEqualPrioritiesTheLeafTouchedLongerAgoLeavesFirst() {
        AdaptivePrefixPolicy<Long> p = policyWithBonusOfOneTick();
        p.admit(new Candidate<>(1L, null, 0, 1, false)); // tick 1, frequency 1: priority 2
        p.onHit(1L);                                      // tick 2, frequency 2: priority 4
        p.admit(new Candidate<>(2L, null, 0, 1, false)); // tick 3, frequency 1: priority 4, touched later
        assertThat(p.peekVictim()).isEqualTo(1L);
        assertThat(p.evict(1, k -> true)).containsExactly(1L);
        assertThat(p.peekVictim()).isEqualTo(2L);
    }

    @Test
    void aFrequentLeafOutlivesARecentOneByItsBonus() {
        AdaptivePrefixPolicy<Long> p = policyWithBonusOfOneTick();
        p.admit(new Candidate<>(1L, null, 0, 1, false)); // tick 1, frequency 1: priority 2
        p.onHit(1L);                                      // tick 2, frequency 2: priority 4
        p.onHit(1L);                                      // tick 3, frequency 3: priority 6
        p.admit(new Candidate<>(2L, null, 0, 1, false)); // tick 4, frequency 1: priority 5
        assertThat(p.peekVictim()).isEqualTo(2L);
        p.admit(new Candidate<>(3L, null, 0, 1, false)); // tick 5, frequency 1: priority 6, a tie with 1
        assertThat(p.evict(2, k -> true)).containsExactly(2L, 1L);
    }
}
