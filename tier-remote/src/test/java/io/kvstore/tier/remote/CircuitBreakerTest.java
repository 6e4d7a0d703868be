package io.kvstore.tier.remote;

import io.kvstore.core.clock.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class CircuitBreakerTest {

    final ManualClock clock = new ManualClock();
    final CircuitBreaker breaker = new CircuitBreaker(clock, 3, 500);

    @Test
    void opensAfterConsecutiveFailuresOnly() {
        breaker.onFailure();
        breaker.onFailure();
        breaker.onSuccess(); // resets the run
        breaker.onFailure();
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.openedCount()).isEqualTo(1);
        assertThat(breaker.tryAcquire()).isFalse();
    }

    @Test
    void halfOpenLetsOneProbeThroughAndItsOutcomeDecides() {
        for (int i = 0; i < 3; i++) {
            breaker.onFailure();
        }
        clock.advance(Duration.ofMillis(499));
        assertThat(breaker.tryAcquire()).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(breaker.tryAcquire()).as("the probe").isTrue();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(breaker.tryAcquire()).as("only one probe at a time").isFalse();
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.openedCount()).isEqualTo(2);
        clock.advance(Duration.ofMillis(500));
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onSuccess();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.tryAcquire()).isTrue();
    }
}
