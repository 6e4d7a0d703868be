package io.kvstore.protocol.body;

import io.kvstore.core.hybrid.Group;
import io.kvstore.core.hybrid.ResumePoint;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.ProtocolLimits;
import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * HYBRID_LOOKUP request body: the model's groups and a prompt's prefix keys.
 *
 * <pre>
 *  u32 leaseMillis | u8 groupCount | groupCount x (u8 kind, u32 value) | u32 count | count x key
 * </pre>
 * {@code kind} 0 = full attention (value 0; group 0 and only group 0), 1 = sliding window (value = window tokens
 * >= 1), 2 = recurrent state (value = snapshot bytes >= 1). The lease is taken only with the frame flag
 * {@code FLAG_LEASE}; {@code FLAG_PREFETCH} asks the server to promote the answer's lower-tier objects.
 */
public record HybridLookupRequest(int leaseMillis, List<Group> groups, List<BlockKey> keys) {

    public HybridLookupRequest {
        groups = ResumePoint.check(groups);
        keys = List.copyOf(keys);
        if (groups.size() > 255) {
            throw new IllegalArgumentException("at most 255 groups, was " + groups.size());
        }
    }

    public void write(ByteBuf out) {
        out.writeInt(leaseMillis);
        out.writeByte(groups.size());
        for (Group g : groups) {
            out.writeByte(g.kind().ordinal());
            out.writeInt(g.kind() == Group.Kind.WINDOW ? g.windowTokens() : g.stateBytes());
        }
        Wire.writeKeys(out, keys);
    }

    public static HybridLookupRequest read(ByteBuf in, ProtocolLimits limits) {
        Wire.need(in, 5, "leaseMillis, groupCount");
        int lease = in.readInt();
        int n = in.readUnsignedByte();
        Wire.need(in, 5L * n, "groups");
        List<Group> groups = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int kind = in.readUnsignedByte();
            long value = in.readUnsignedInt();
            if (kind >= Group.Kind.values().length || value > Integer.MAX_VALUE || (kind == 0 && value != 0)) {
                throw new ProtocolException(ErrorCode.MALFORMED, "group " + i + ": kind " + kind + ", value " + value
                        + " (kinds: 0 full, 1 window tokens, 2 state bytes)");
            }
            Group.Kind k = Group.Kind.values()[kind];
            try {
                groups.add(new Group(k, k == Group.Kind.WINDOW ? (int) value : 0, k == Group.Kind.STATE ? (int) value
                        : 0));
            } catch (IllegalArgumentException e) {
                throw new ProtocolException(ErrorCode.MALFORMED, "group " + i + ": " + e.getMessage());
            }
        }
        List<BlockKey> keys = Wire.readKeys(in, limits.maxKeysPerRequest(), "keys");
        try {
            return new HybridLookupRequest(Math.max(0, lease), groups, keys);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.MALFORMED, "groups: " + e.getMessage());
        }
    }
}
