package io.kvstore.server.net;

import io.kvstore.core.store.PinStatus;
import io.kvstore.core.store.PutStatus;
import io.kvstore.protocol.body.KeyOutcome;
import io.kvstore.protocol.body.PutCode;

/**
 * The one place where the engine's answers meet the protocol's codes: the protocol owns its wire numbers
 * ({@link PutCode}, {@link KeyOutcome}) and knows nothing of the engine; the engine's enums know nothing of the wire.
 * Each mapping is a switch over the engine's enum, so a new engine answer does not compile until it has a code.
 */
final class WireCodes {

    private WireCodes() {
    }

    /** The PUT ack's code of a store answer. */
    static PutCode put(PutStatus s) {
        return switch (s) {
            case STORED -> PutCode.STORED;
            case ALREADY_PRESENT -> PutCode.ALREADY_PRESENT;
            case REJECTED -> PutCode.REJECTED;
            case NO_CAPACITY -> PutCode.NO_CAPACITY;
            case TOO_LARGE -> PutCode.TOO_LARGE;
            case NAMESPACE_CONFLICT -> PutCode.NAMESPACE_CONFLICT;
            case BAD_CHECKSUM -> PutCode.BAD_CHECKSUM;
            case FAILED -> PutCode.FAILED;
        };
    }

    /** The DELETE, PIN or UNPIN reply's code of a store answer. */
    static KeyOutcome key(PinStatus s) {
        return switch (s) {
            case PINNED -> KeyOutcome.PINNED;
            case UNPINNED -> KeyOutcome.UNPINNED;
            case DELETED -> KeyOutcome.DELETED;
            case NOT_PINNED -> KeyOutcome.NOT_PINNED;
            case NOT_FOUND -> KeyOutcome.NOT_FOUND;
        };
    }
}
