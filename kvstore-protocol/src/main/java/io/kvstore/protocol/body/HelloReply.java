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
 *  [| str shmDirectory [| u16 adminPort]]
 * </pre>
 * {@code shmDirectory} is optional (appended in version 1): non-empty only when the client asked for shared
 * memory in HELLO and the server offers it. {@code adminPort} is optional too (appended in version 1, after a
 * possibly empty {@code shmDirectory}): the daemon's HTTP admin port, 0 = none or unknown; {@code kvctl} finds the
 * admin port through it.
 */
public record HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest,
                         List<String> tiers, String shmDirectory, int adminPort) {

    /** A reply that offers no shared memory and names no admin port. */
    public HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest, List<String> tiers) {
        this(version, namespaceId, maxFrameBytes, maxKeysPerRequest, tiers, "", 0);
    }

    /** A reply that names no admin port. */
    public HelloReply(int version, long namespaceId, int maxFrameBytes, int maxKeysPerRequest, List<String> tiers,
                      String shmDirectory) {
        this(version, namespaceId, maxFrameBytes, maxKeysPerRequest, tiers, shmDirectory, 0);
    }

    /** True if the server offers shared-memory reads to this session (the client must still SHM_ATTACH). */
    public boolean offersShm() {
        return !shmDirectory.isEmpty();
    }

    public void write(ByteBuf out) {
        out.writeByte(version).writeLong(namespaceId).writeInt(maxFrameBytes).writeInt(maxKeysPerRequest);
        out.writeByte(tiers.size());
        tiers.forEach(t -> Wire.writeString(out, t));
        if (!shmDirectory.isEmpty() || adminPort > 0) {
            Wire.writeString(out, shmDirectory);
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
        int admin = in.readableBytes() >= 2 ? in.readUnsignedShort() : 0;
        return new HelloReply(v, ns, maxFrame, maxKeys, tiers, shm, admin);
    }
}
