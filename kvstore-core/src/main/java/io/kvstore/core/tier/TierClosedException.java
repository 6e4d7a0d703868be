package io.kvstore.core.tier;

/** Thrown by every operation on a tier or store after it was closed. */
public final class TierClosedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public TierClosedException(String what) {
        super(what + " is closed");
    }
}
