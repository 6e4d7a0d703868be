package io.kvstore.core.store;

/**
 * The outcome of a put.
 *
 * @param status what happened
 * @param tier   the tier that holds the block afterwards, or {@code null} if it is not cached
 */
public record PutResult(PutStatus status, String tier) {
}
