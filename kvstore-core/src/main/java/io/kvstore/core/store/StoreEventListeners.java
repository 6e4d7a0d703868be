package io.kvstore.core.store;

import java.util.List;

/** Combinators for {@link StoreEventListener}. */
public final class StoreEventListeners {

    private StoreEventListeners() {
    }

    /** A listener that passes each event to every listener in order. */
    public static StoreEventListener all(List<StoreEventListener> listeners) {
        List<StoreEventListener> copy = List.copyOf(listeners);
        return e -> {
            for (StoreEventListener l : copy) {
                l.onEvent(e);
            }
        };
    }
}
