package io.kvstore.protocol.body;

import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * HELLO response body: the version the session uses, the namespace id the server computed, the server's
 * limits and its tier names (top first).
 *
 * <pre>
 *  u8 version | u64 namespaceId | u32 maxFrameBytes | u32 maxKeysPerRequest | u8 tierCount | tierCount x str
 *  [| str shmDirectory [| u8 features [| u16 adminPort]]]
 * </pre>
 * {@code shmDirectory} is optional (appended in version 1): non-empty only when the client asked for shared
 * memory in HELLO and the server offers it. {@code features} (appended later in version 1; absent = 0) holds
 * the {@link Hello} feature bits the server grants other than {@link Hello#FEATURE_SHM}, which the directory
 * answers; it follows a (possibly empty) {@code shmDirectory}. {@code adminPort} (appended after a possibly zero
 * {@code features}; absent = 0) is the daemon's HTTP admin port, 0 = none or unknown; {@code kvctl} finds the admin
 * port through it. Besides the bits a client asks for, {@code features} carries {@link #FEATURE_KV_EVENTS}, which
 * no client asks for: the server publishes KV events, so PUT frames should carry their blocks' token ids
 * ({@code FLAG_TOKENS}). Each optional field is written only when it or a later one is set, so a reader of an earlier
 * layout stops where it knows to.
 */
public record HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest,
                         List<String> tiers, String shmDirectory, int features, int adminPort) {

    /** {@link #features} bit set by the server alone: it publishes KV events and wants token ids with PUT. */
    public static final int FEATURE_KV_EVENTS = 0x04;
    /** {@link #features} bit set by the server alone: it answers HYBRID_LOOKUP (docs/protocol.md, "Hybrid models"). */
    public static final int FEATURE_HYBRID_LOOKUP = 0x08;

    /** A reply that offers no shared memory and grants no feature. */
    public HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest, List<String> tiers) {
        this(version, namespaceId, maxFrameBytes, maxKeysPerRequest, tiers, "", 0, 0);
    }

    /** A reply that grants no feature other than, possibly, shared memory. */
    public HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest, List<String> tiers,
                      String shmDirectory) {
        this(version, namespaceId, maxFrameBytes, maxKeysPerRequest, tiers, shmDirectory, 0, 0);
    }

    /** True if the server lets this session send PUT frames flagged {@code FLAG_SERVER_CHECKSUM}. */
    public boolean grantsServerChecksum() {
        return (features & Hello.FEATURE_SERVER_CHECKSUM) != 0;
    }

    /** True if the server wants PUT frames to carry token ids (it publishes KV events). */
    public boolean wantsTokenIds() {
        return (features & FEATURE_KV_EVENTS) != 0;
    }

    /** True if the server answers HYBRID_LOOKUP; else a client computes the resume point from LOOKUP and EXISTS. */
    public boolean answersHybridLookup() {
        return (features & FEATURE_HYBRID_LOOKUP) != 0;
    }

    /** True if the server offers shared-memory reads to this session (the client must still SHM_ATTACH). */
    public boolean offersShm() {
        return !shmDirectory.isEmpty();
    }

    public void write(ByteBuf out) {
        out.writeByte(version).writeLong(namespaceId).writeInt(maxFrameBytes).writeInt(maxKeysPerRequest);
        out.writeByte(tiers.size());
        tiers.forEach(t -> Wire.writeString(out, t));
        if (!shmDirectory.isEmpty() || features != 0 || adminPort > 0) {
            Wire.writeString(out, shmDirectory);
        }
        if (features != 0 || adminPort > 0) {
            out.writeByte(features);
        }
        if (adminPort > 0) {
            out.writeShort(adminPort);
        }
    }

    public static HelloReply read(ByteBuf in) {
        Wire.need(in, 18, "hello reply");
        int v = in.readUnsignedByte();
        long ns = in.readLong();
        int maxFrame = in.readInt();
        int maxKeys = in.readInt();
        int n = in.readUnsignedByte();
        List<String> tiers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            tiers.add(Wire.readString(in, 65535, "tier name"));
        }
        String shm = in.isReadable() ? Wire.readString(in, 65535, "shmDirectory") : "";
        int features = in.isReadable() ? in.readUnsignedByte() : 0;
        int admin = in.readableBytes() >= 2 ? in.readUnsignedShort() : 0;
        return new HelloReply(v, ns, maxFrame, maxKeys, tiers, shm, features, admin);
    }
}
