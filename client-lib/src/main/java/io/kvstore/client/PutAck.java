package io.kvstore.client;

import io.kvstore.protocol.body.PutCode;
import io.kvstore.protocol.body.StatusList;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
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

    /**
     * The acks of a put sent in parts, in order, as one: their statuses one after the other, durable if {@code
     * persisted} was asked and every part is.
     */
    static PutAck concat(List<PutAck> parts, boolean persisted) {
        List<PutCode> codes = new ArrayList<>();
        boolean durable = persisted;
        for (PutAck a : parts) {
            codes.addAll(a.statuses());
            durable &= a.durable();
        }
        return new PutAck(codes, durable);
    }

    /** Reads a PUT (or SHM_COMMIT) ack body: one put code per block, then {@code u8 durable}. */
    static PutAck read(ByteBuf body) {
        StatusList codes = StatusList.read(body);
        boolean durable = body.isReadable() && body.readByte() == 1;
        List<PutCode> st = new ArrayList<>(codes.size());
        for (int i = 0; i < codes.size(); i++) {
            st.add(PutCode.of(codes.code(i)));
        }
        return new PutAck(st, durable);
    }
}
