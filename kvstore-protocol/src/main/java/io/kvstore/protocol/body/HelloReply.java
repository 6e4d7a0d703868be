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
 *  [| str shmDirectory]
 * </pre>
 * {@code shmDirectory} is optional (appended in version 1): non-empty only when the client asked for shared
 * memory in HELLO and the server offers it.
 */
public record HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest,
                         List<String> tiers, String shmDirectory) {

    /** A reply that offers no shared memory. */
    public HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest, List<String> tiers) {
        this(version, namespaceId, maxFrameBytes, maxKeysPerRequest, tiers, "");
    }

    /** True if the server offers shared-memory reads to this session (the client must still SHM_ATTACH). */
    public boolean offersShm() {
        return !shmDirectory.isEmpty();
    }

    public void write(ByteBuf out) {
        out.writeByte(version).writeLong(namespaceId).writeInt(maxFrameBytes).writeInt(maxKeysPerRequest);
        out.writeByte(tiers.size());
        tiers.forEach(t -> Wire.writeString(out, t));
        if (!shmDirectory.isEmpty()) {
            Wire.writeString(out, shmDirectory);
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
        return new HelloReply(v, ns, maxFrame, maxKeys, tiers, shm);
    }
}
