package io.kvstore.protocol.body;

import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * One tier's counters in a STATS reply. The STATS body is {@code u64 blocks | u16 tierCount | tierCount x tier},
 * each tier {@code str name | str policy | 10 x u64} in the order of the record components after the strings.
 */
public record TierCounters(String name, String policy, long capacityBytes, long usedBytes, long blocks, long hits,
                           long misses, long admitted, long evicted, long demotedOut, long promotedIn, long corrupt) {

    public void write(ByteBuf out) {
        Wire.writeString(out, name);
        Wire.writeString(out, policy);
        out.writeLong(capacityBytes).writeLong(usedBytes).writeLong(blocks).writeLong(hits).writeLong(misses)
                .writeLong(admitted).writeLong(evicted).writeLong(demotedOut).writeLong(promotedIn).writeLong(corrupt);
    }

    public static TierCounters read(ByteBuf in) {
        String name = Wire.readString(in, 65535, "tier name");
        String policy = Wire.readString(in, 65535, "policy");
        Wire.need(in, 80, "tier counters");
        return new TierCounters(name, policy, in.readLong(), in.readLong(), in.readLong(), in.readLong(),
                in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong());
    }

    /** Writes a whole STATS body. */
    public static void writeStats(ByteBuf out, long blocks, List<TierCounters> tiers) {
        out.writeLong(blocks).writeShort(tiers.size());
        tiers.forEach(t -> t.write(out));
    }

    /** Reads the tiers of a STATS body (after its leading block count). */
    public static List<TierCounters> readTiers(ByteBuf in) {
        Wire.need(in, 2, "tier count");
        int n = in.readUnsignedShort();
        List<TierCounters> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(read(in));
        }
        return out;
    }
}
