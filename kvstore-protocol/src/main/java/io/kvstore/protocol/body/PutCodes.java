package io.kvstore.protocol.body;

import io.kvstore.core.store.PutStatus;

/**
 * Wire codes of {@link PutStatus} in a PUT ack: fixed numbers, independent of the enum's declaration order.
 */
public final class PutCodes {

    private static final PutStatus[] BY_CODE = {
        PutStatus.STORED, PutStatus.ALREADY_PRESENT, PutStatus.REJECTED, PutStatus.NO_CAPACITY,
        PutStatus.TOO_LARGE, PutStatus.NAMESPACE_CONFLICT, PutStatus.BAD_CHECKSUM, PutStatus.FAILED,
    };

    private PutCodes() {
    }

    public static int code(PutStatus s) {
        for (int i = 0; i < BY_CODE.length; i++) {
            if (BY_CODE[i] == s) {
                return i;
            }
        }
        throw new IllegalArgumentException("no wire code for " + s);
    }

    public static PutStatus status(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            return PutStatus.FAILED;
        }
        return BY_CODE[code];
    }
}
