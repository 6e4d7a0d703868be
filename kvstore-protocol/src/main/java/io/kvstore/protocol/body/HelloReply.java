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
 *  [| str shmDirectory [| u8 serverFeatures]]
 * </pre>
 * {@code shmDirectory} is optional (appended in version 1): non-empty only when the client asked for shared
 * memory in HELLO and the server offers it. {@code serverFeatures} is optional too (appended later in version 1;
 * absent = 0): bit {@link #FEATURE_KV_EVENTS} = the server publishes KV events, so PUT frames should carry their
 * blocks' token ids ({@code FLAG_TOKENS}). When it is sent, {@code shmDirectory} is sent too, empty if not offered.
 */
public record HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest,
                         List<String> tiers, String shmDirectory, int serverFeatures) {

    /** {@link #serverFeatures} bit: the server publishes KV events and wants token ids with PUT. */
    public static final int FEATURE_KV_EVENTS = 0x01;

    /** A reply that offers no shared memory. */
    public HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest, List<String> tiers) {
        this(version, namespaceId, maxFrameBytes, maxKeysPerRequest, tiers, "", 0);
    }

    /** A reply without server features. */
    public HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest, List<String> tiers,
                      String shmDirectory) {
        this(version, namespaceId, maxFrameBytes, maxKeysPerRequest, tiers, shmDirectory, 0);
    }

    /** True if the server wants PUT frames to carry token ids (it publishes KV events). */
    public boolean wantsTokenIds() {
        return (serverFeatures & FEATURE_KV_EVENTS) != 0;
    }

    /** True if the server offers shared-memory reads to this session (the client must still SHM_ATTACH). */
    public boolean offersShm() {
        return !shmDirectory.isEmpty();
    }

    public void write(ByteBuf out) {
        out.writeByte(version).writeLong(namespaceId).writeInt(maxFrameBytes).writeInt(maxKeysPerRequest);
        out.writeByte(tiers.size());
        tiers.forEach(t -> Wire.writeString(out, t));
        if (!shmDirectory.isEmpty() || serverFeatures != 0) {
            Wire.writeString(out, shmDirectory);
        }
        if (serverFeatures != 0) {
            out.writeByte(serverFeatures);
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
        return new HelloReply(v, ns, maxFrame, maxKeys, tiers, shm, features);
    }
}
