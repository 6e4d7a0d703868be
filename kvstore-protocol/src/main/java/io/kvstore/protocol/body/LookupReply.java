package io.kvstore.protocol.body;

import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * LOOKUP response body: the hit length and the tier of each hit block, as indexes into a name table that the
 * body carries itself:
 *
 * <pre>
 *  u8 nameCount | nameCount x str | u32 hitBlocks | hitBlocks x u8 tierIndex
 * </pre>
 */
public record LookupReply(int hitBlocks, List<String> tiers) {

    public LookupReply {
        tiers = List.copyOf(tiers);
        if (tiers.size() != hitBlocks) {
            throw new IllegalArgumentException("one tier per hit block");
        }
    }

    public void write(ByteBuf out) {
        Map<String, Integer> index = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (String t : tiers) {
            index.computeIfAbsent(t, k -> {
                names.add(k);
                return names.size() - 1;
            });
        }
        out.writeByte(names.size());
        names.forEach(n -> Wire.writeString(out, n));
        out.writeInt(hitBlocks);
        for (String t : tiers) {
            out.writeByte(index.get(t));
        }
    }

    public static LookupReply read(ByteBuf in) {
        Wire.need(in, 1, "name count");
        int n = in.readUnsignedByte();
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(Wire.readString(in, 65535, "tier name"));
        }
        Wire.need(in, 4, "hitBlocks");
        long hits = in.readUnsignedInt();
        Wire.need(in, hits, "tier indexes");
        List<String> tiers = new ArrayList<>((int) hits);
        for (int i = 0; i < hits; i++) {
            int ix = in.readUnsignedByte();
            if (ix >= names.size()) {
                throw new ProtocolException(ErrorCode.MALFORMED, "tier index " + ix + " outside the name table");
            }
            tiers.add(names.get(ix));
        }
        return new LookupReply((int) hits, tiers);
    }
}
