package io.kvstore.client;

import io.kvstore.protocol.body.PutCode;

import java.util.List;

/**
 * The answer to a PUT request.
 *
 * @param statuses one per block, in request order
 * @param durable  true if ACK_PERSISTED was asked and every stored block is in a durable tier
 */
public record PutAck(List<PutCode> statuses, boolean durable) {

    /** True if every block is cached (stored now or before). */
    public boolean allCached() {
        return statuses.stream().allMatch(PutCode::isCached);
    }
}
