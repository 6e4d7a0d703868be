package io.kvstore.tier.remote;

/**
 * Thrown by {@link RemoteTier#open} when no seed node of the cluster answers. Once open, the tier never throws
 * for an unavailable shard: it answers misses and counts them.
 */
public final class RemoteTierUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RemoteTierUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
