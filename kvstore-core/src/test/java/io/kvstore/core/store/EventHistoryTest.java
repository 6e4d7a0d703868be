package io.kvstore.core.store;

import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.policy.linked.LruPolicy;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EventHistoryTest {

    @Test
    void remembersDemotionAndEvictionWithThePolicyThatDecided() {
        EventHistory history = new EventHistory(100, 8);
        try (TieredStore store = TieredStore.builder().listener(history)
                .tier(TierSpec.of(new HeapTier("dram", 1000), new LruPolicy<>()))
                .tier(TierSpec.of(new HeapTier("nvme", 1000), new LruPolicy<>()))
                .build()) {
            for (int i = 0; i < 3; i++) {
                store.put(Blocks.meta(i, 1000), Blocks.payload(i, 1000));
            }
            store.get(Blocks.NS, Blocks.key(2)).handle().close();
        }
        EventHistory.BlockHistory h0 = history.history(Blocks.key(0));
        assertThat(h0.events()).extracting(StoreEvent::type)
                .containsExactly(StoreEvent.Type.ADMITTED, StoreEvent.Type.DEMOTED, StoreEvent.Type.EVICTED);
        assertThat(h0.events().get(1).toTier()).isEqualTo("nvme");
        assertThat(h0.events().get(2).policy()).isEqualTo("lru");
        assertThat(history.history(Blocks.key(2)).hits()).isEqualTo(1);
    }

    @Test
    void staysWithinItsBounds() {
        EventHistory history = new EventHistory(3, 2);
        StoreEventListener all = StoreEventListeners.all(List.of(history));
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 5; j++) {
                all.onEvent(new StoreEvent(StoreEvent.Type.ADMITTED, Blocks.meta(i, 10), "dram", null, "lru", j));
            }
        }
        assertThat(history.size()).isEqualTo(3);
        assertThat(history.history(Blocks.key(0))).isNull();
        assertThat(history.history(Blocks.key(9)).events()).hasSize(2)
                .extracting(StoreEvent::nanoTime).containsExactly(3L, 4L);
    }

    @Test
    void aReporterNeverWaitsForTheLockAndNothingQueuedIsLost() throws Exception {
        EventHistory history = new EventHistory(100, 8);
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread holder = new Thread(() -> {
            history.lock.lock();
            try {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                history.lock.unlock();
            }
        });
        holder.start();
        assertThat(held.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        java.util.concurrent.Future<?> reporting = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        }).submit(() -> {
            for (int j = 0; j < EventHistory.PENDING_LIMIT + 10; j++) {
                history.onEvent(new StoreEvent(j < 3 ? StoreEvent.Type.ADMITTED : StoreEvent.Type.DEMOTED,
                        Blocks.meta(j < 3 ? 1 : 2, 10), "dram", null, "lru", j));
            }
        });
        reporting.get(10, java.util.concurrent.TimeUnit.SECONDS); // would time out if a reporter waited
        assertThat(history.dropped()).as("beyond the queue's bound").isEqualTo(10);
        release.countDown();
        holder.join(10_000);
        assertThat(history.history(Blocks.key(1)).events()).extracting(StoreEvent::nanoTime)
                .as("queued while the lock was held, filed in order by the query").containsExactly(0L, 1L, 2L);
        assertThat(history.history(Blocks.key(2)).events()).hasSize(8);
    }
}
