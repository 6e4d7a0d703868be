package io.kvstore.core.store;

/**
 * Receives every {@link StoreEvent}. Called synchronously under the store's lock: implementations must be
 * fast, must not block, and must not call back into the store. Exceptions are caught and counted.
 */
@FunctionalInterface
public interface StoreEventListener {

    /** Handles one event. */
    void onEvent(StoreEvent event);

    /** A listener that ignores everything. */
    StoreEventListener NONE = e -> { };
}
