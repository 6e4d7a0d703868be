package io.kvstore.protocol.body;

import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * HYBRID_LOOKUP response body: where the engine can resume and the tier of each object it will read.
 *
 * <pre>
 *  u32 resumeBlocks | u32 prefixHitBlocks | u8 nameCount | nameCount x str | u32 objects | objects x u8 tierIndex
 * </pre>
 * {@code prefixHitBlocks} is what a plain LOOKUP would answer (group 0's blocks held contiguously from the start),
 * {@code resumeBlocks <= prefixHitBlocks} the deepest boundary where every group has what a resume needs. The
 * objects are those a resume after {@code resumeBlocks} reads, in GET order: the prefix blocks, then each other
 * group's objects in group order, each in block order (the tail is a {@link LookupReply}).
 *
 * @param tiers the tier of each object, in that order
 */
public record HybridLookupReply(int resumeBlocks, int prefixHitBlocks, List<String> tiers) {

    public HybridLookupReply {
        tiers = List.copyOf(tiers);
        if (resumeBlocks < 0 || resumeBlocks > prefixHitBlocks || tiers.size() < resumeBlocks) {
            throw new IllegalArgumentException("need 0 <= resumeBlocks <= prefixHitBlocks and a tier per object");
        }
    }

    public void write(ByteBuf out) {
        out.writeInt(resumeBlocks).writeInt(prefixHitBlocks);
        new LookupReply(tiers.size(), tiers).write(out);
    }

    public static HybridLookupReply read(ByteBuf in) {
        Wire.need(in, 8, "resumeBlocks, prefixHitBlocks");
        long resume = in.readUnsignedInt();
        long hit = in.readUnsignedInt();
        LookupReply objects = LookupReply.read(in);
        try {
            return new HybridLookupReply((int) resume, (int) hit, objects.tiers());
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.MALFORMED, "hybrid lookup reply: " + e.getMessage());
        }
    }
}
