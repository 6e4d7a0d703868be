package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.testing.Blocks;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/** Any damaged byte of a stored record (header or payload, any codec) makes it unreadable, never wrong. */
class RecordDescriptorProperties {

    @Property(tries = 300)
    void everyCodecRoundTrips(@ForAll("codecs") Codec codec, @ForAll @IntRange(min = 0, max = 5000) int length,
                              @ForAll boolean kvLike) {
        ByteBuffer payload = kvLike ? KvData.bf16Normal(length, length) : Blocks.payload(length, length);
        BlockMeta meta = KvData.meta(Blocks.key(length), payload);
        ByteBuffer rec = ByteBuffer.allocateDirect(RecordDescriptor.maxRecordLength(length, codec));
        RecordDescriptor.encode(meta, payload, codec, rec);
        assertThat(payload.position()).isZero();
        assertThat(RecordDescriptor.decode(rec, meta)).isEqualTo(payload);
    }

    @Property(tries = 500)
    void anyFlippedByteIsDetected(@ForAll("codecs") Codec codec, @ForAll @IntRange(min = 1, max = 4096) int length,
                                  @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where,
                                  @ForAll @IntRange(min = 1, max = 255) int mask) {
        ByteBuffer payload = KvData.bf16Normal(length, length);
        BlockMeta meta = KvData.meta(Blocks.key(length), payload);
        ByteBuffer rec = ByteBuffer.allocateDirect(RecordDescriptor.maxRecordLength(length, codec));
        RecordDescriptor.encode(meta, payload, codec, rec);
        int at = where % rec.limit();
        rec.put(at, (byte) (rec.get(at) ^ mask));
        assertThat(RecordDescriptor.decode(rec, meta)).as("flip at %d of %d", at, rec.limit()).isNull();
    }

    @Property(tries = 100)
    void aRecordIsNeverServedForAnotherBlock(@ForAll @IntRange(min = 1, max = 4096) int length) {
        ByteBuffer payload = Blocks.payload(length, length);
        BlockMeta meta = KvData.meta(Blocks.key(1), payload);
        ByteBuffer rec = ByteBuffer.allocateDirect(RecordDescriptor.maxRecordLength(length, Codec.NONE));
        RecordDescriptor.encode(meta, payload, Codec.NONE, rec);
        assertThat(RecordDescriptor.decode(rec, KvData.meta(Blocks.key(2), payload))).isNull();
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<Codec> codecs() {
        return net.jqwik.api.Arbitraries.of(Codec.class);
    }
}
