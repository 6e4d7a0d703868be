package io.kvstore.core.store;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.NanoClock;

import java.util.concurrent.atomic.LongAdder;

/** Hands store events to the listener; a listener that throws is counted, never allowed to break the store. */
final class StoreEvents {

    private final StoreEventListener listener;
    private final NanoClock clock;
    private final LongAdder errors = new LongAdder();

    StoreEvents(StoreEventListener listener, NanoClock clock) {
        this.listener = listener;
        this.clock = clock;
    }

    void emit(StoreEvent.Type type, BlockMeta meta, Level tier, Level to, String policy) {
        try {
            listener.onEvent(new StoreEvent(type, meta, tier.name(), to == null ? null : to.name(), policy,
                    clock.nanoTime()));
        } catch (RuntimeException ex) {
            errors.increment();
        }
    }

    long errors() {
        return errors.sum();
    }
}
