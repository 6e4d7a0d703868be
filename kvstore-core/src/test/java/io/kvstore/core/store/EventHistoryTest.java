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
}
