package io.kvstore.protocol.body;

import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.ProtocolLimits;
import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * HELLO request body: the newest protocol version the client speaks, the namespace (every field of
 * {@link Namespace}; the server computes the id itself, a client cannot claim one) and the auth token.
 *
 * <pre>
 *  u8 maxVersion | str modelId | str dtype | u32 layers | u32 kvHeads | u32 headDim | u32 tokensPerBlock
 *  | str tenant | str cacheSalt | str loraId | str token [| u8 features]
 * </pre>
 * {@code features} is optional (appended in version 1; absent = 0).
 */
public record Hello(int maxVersion, Namespace namespace, String token, int features) {

    /** {@link #features} bit: the client runs on the server's host and wants shared-memory reads. */
    public static final int FEATURE_SHM = 0x01;
    /**
     * {@link #features} bit: the client may send PUT frames flagged {@code FLAG_SERVER_CHECKSUM} (it has no fast
     * CRC32C); granted when the reply's features carry the same bit.
     */
    public static final int FEATURE_SERVER_CHECKSUM = 0x02;

    /** A HELLO without optional features. */
    public Hello(int maxVersion, Namespace namespace, String token) {
        this(maxVersion, namespace, token, 0);
    }

    public void write(ByteBuf out) {
        out.writeByte(maxVersion);
        Wire.writeString(out, namespace.modelId());
        KvLayout l = namespace.layout();
        Wire.writeString(out, l.dtype());
        out.writeInt(l.layers()).writeInt(l.kvHeads()).writeInt(l.headDim()).writeInt(l.tokensPerBlock());
        Wire.writeString(out, namespace.tenant());
        Wire.writeString(out, namespace.cacheSalt());
        Wire.writeString(out, namespace.loraId());
        Wire.writeString(out, token == null ? "" : token);
        if (features != 0) {
            out.writeByte(features);
        }
    }

    public static Hello read(ByteBuf in, ProtocolLimits limits) {
        int max = limits.maxStringBytes();
        Wire.need(in, 1, "maxVersion");
        int version = in.readUnsignedByte();
        String model = Wire.readString(in, max, "modelId");
        String dtype = Wire.readString(in, max, "dtype");
        Wire.need(in, 16, "layout");
        int layers = in.readInt();
        int heads = in.readInt();
        int dim = in.readInt();
        int tpb = in.readInt();
        String tenant = Wire.readString(in, max, "tenant");
        String salt = Wire.readString(in, max, "cacheSalt");
        String lora = Wire.readString(in, max, "loraId");
        String token = Wire.readString(in, max, "token");
        int features = in.isReadable() ? in.readUnsignedByte() : 0;
        try {
            return new Hello(version, new Namespace(model, new KvLayout(dtype, layers, heads, dim, tpb), tenant, salt,
                    lora), token, features);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.MALFORMED, "namespace: " + e.getMessage());
        }
    }
}
