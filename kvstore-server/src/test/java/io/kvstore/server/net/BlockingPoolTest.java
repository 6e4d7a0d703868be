package io.kvstore.server.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The blocking pool's bound: threads busy, then depth tasks waiting, then a rejection; counted back as they run. */
@Timeout(30)
class BlockingPoolTest {

    private BlockingPool pool;

    @AfterEach
    void stop() throws InterruptedException {
        if (pool != null) {
            pool.shutdownNow();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void rejectsBeyondItsDepthAndCountsWaitingTasksBack() throws Exception {
        pool = new BlockingPool("test-blocking", 2, 3);
        assertThat(pool.getPoolSize()).isEqualTo(2); // started at once: submitting never creates a thread
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(2);
        AtomicInteger ran = new AtomicInteger();
        Runnable hold = () -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ran.incrementAndGet();
        };
        pool.execute(hold);
        pool.execute(hold);
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 3; i++) {
            pool.execute(ran::incrementAndGet);
        }
        assertThat(pool.waiting()).isEqualTo(3);
        assertThatThrownBy(() -> pool.execute(ran::incrementAndGet))
                .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("3 waiting tasks")
                .satisfies(full -> assertThat(full.getStackTrace()).as("an expected refusal walks no stack")
                        .isEmpty());
        assertThat(pool.waiting()).isEqualTo(3); // a rejected task takes no place
        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ran.get() < 5 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(ran.get()).isEqualTo(5);
        assertThat(pool.waiting()).isZero();
        pool.execute(ran::incrementAndGet); // room again
        pool.shutdown();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        assertThat(ran.get()).isEqualTo(6);
        assertThatThrownBy(() -> pool.execute(ran::incrementAndGet)).isInstanceOf(RejectedExecutionException.class);
        assertThat(pool.waiting()).isZero();
    }
}
