package io.kvstore.protocol.body;

import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.ProtocolLimits;
import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * LOOKUP request body: {@code u32 leaseMillis | u32 count | count x key}. The lease is taken only with the
 * frame flag {@code FLAG_LEASE}; {@code FLAG_PREFETCH} asks the server to promote lower-tier hits.
 */
public record LookupRequest(int leaseMillis, List<BlockKey> keys) {

    public void write(ByteBuf out) {
        out.writeInt(leaseMillis);
        Wire.writeKeys(out, keys);
    }

    public static LookupRequest read(ByteBuf in, ProtocolLimits limits) {
        Wire.need(in, 4, "leaseMillis");
        int lease = in.readInt();
        return new LookupRequest(Math.max(0, lease), Wire.readKeys(in, limits.maxKeysPerRequest(), "keys"));
    }
}
