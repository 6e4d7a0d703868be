package io.kvstore.protocol.body;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * SHM_GET response body: a lease and, per block of the served prefix in request order, its header and where its
 * payload lies in the server's shared-memory directory.
 *
 * <pre>
 *  u64 leaseId | u8 more | u32 n | n x (block header (80 bytes) | str file | u64 offset)
 * </pre>
 * {@code leaseId} is 0 when {@code n} is 0 (no lease taken). {@code more} = 1 when the served prefix stopped at a
 * block that is cached but not in shared memory: the client GETs the keys from index {@code n} on over TCP.
 * {@code file} is a file name inside the directory of the HELLO reply.
 */
public record ShmGetReply(long leaseId, boolean more, List<Location> blocks) {

    /** One block: its header and the payload's file and byte offset. */
    public record Location(BlockMeta meta, String file, long offset) {
    }

    public void write(ByteBuf out) {
        out.writeLong(leaseId).writeByte(more ? 1 : 0).writeInt(blocks.size());
        for (Location l : blocks) {
            Wire.writeBlockHeader(out, l.meta());
            Wire.writeString(out, l.file());
            out.writeLong(l.offset());
        }
    }

    /** Reads a reply; the block headers get {@code namespaceId} (the session's). */
    public static ShmGetReply read(ByteBuf in, long namespaceId, int maxBlocks) {
        Wire.need(in, 13, "shm get reply");
        long lease = in.readLong();
        boolean more = in.readUnsignedByte() != 0;
        int n = Wire.readCount(in, maxBlocks, "blocks");
        List<Location> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            BlockMeta m = Wire.readBlockHeaderOnly(in, namespaceId);
            String file = Wire.readString(in, 4096, "file");
            Wire.need(in, 8, "offset");
            out.add(new Location(m, file, in.readLong()));
        }
        return new ShmGetReply(lease, more, out);
    }
}
