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
        assertThat(RecordDescriptor.decode(rec, meta, 0)).isEqualTo(payload);
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
        assertThat(RecordDescriptor.decode(rec, meta, 0)).as("flip at %d of %d", at, rec.limit()).isNull();
    }

    @Property(tries = 100)
    void aRecordIsNeverServedForAnotherBlock(@ForAll @IntRange(min = 1, max = 4096) int length) {
        ByteBuffer payload = Blocks.payload(length, length);
        BlockMeta meta = KvData.meta(Blocks.key(1), payload);
        ByteBuffer rec = ByteBuffer.allocateDirect(RecordDescriptor.maxRecordLength(length, Codec.NONE));
        RecordDescriptor.encode(meta, payload, Codec.NONE, rec);
        assertThat(RecordDescriptor.decode(rec, KvData.meta(Blocks.key(2), payload), 0)).isNull();
    }

    /**
     * A record bound to a segment verifies there and nowhere else; an unbound one verifies anywhere, but not where
     * only bound records are taken (the tail scan of a possibly recycled file).
     */
    @Property(tries = 200)
    void aBoundRecordVerifiesOnlyInItsSegment(@ForAll @IntRange(min = 1, max = 4096) int length,
                                              @ForAll long segment, @ForAll long other) {
        ByteBuffer payload = Blocks.payload(length, length);
        BlockMeta meta = KvData.meta(Blocks.key(length), payload);
        ByteBuffer rec = ByteBuffer.allocateDirect(RecordDescriptor.maxRecordLength(length, Codec.NONE));
        RecordDescriptor.encode(meta, payload, Codec.NONE, rec);
        assertThat(RecordDescriptor.header(rec, segment, true)).as("unbound, bound only").isNull();
        assertThat(RecordDescriptor.header(rec, segment, false)).isNotNull();
        RecordDescriptor.bind(rec, segment);
        assertThat(rec.position()).isZero();
        assertThat(RecordDescriptor.header(rec, segment, true).meta()).isEqualTo(meta);
        assertThat(RecordDescriptor.decode(rec, meta, segment)).isEqualTo(payload);
        if (other != segment) {
            assertThat(RecordDescriptor.header(rec, other, false)).as("bound to another segment").isNull();
            assertThat(RecordDescriptor.decode(rec, meta, other)).isNull();
            RecordDescriptor.bind(rec, other); // a relocated record is bound again to its new segment
            assertThat(RecordDescriptor.decode(rec, meta, other)).isEqualTo(payload);
            assertThat(RecordDescriptor.decode(rec, meta, segment)).isNull();
        }
    }

    /** A version 3 record: the 4 KiB header unit, then the payload as it was; any flipped byte is detected. */
    @Property(tries = 300)
    void anAlignedRecordRoundTripsAndAnyFlippedByteIsDetected(
            @ForAll @IntRange(min = 1, max = 9000) int length,
            @ForAll @IntRange(min = -1, max = Integer.MAX_VALUE) int where,
            @ForAll @IntRange(min = 1, max = 255) int mask) {
        ByteBuffer payload = KvData.bf16Normal(length, length);
        BlockMeta meta = KvData.meta(Blocks.key(length), payload);
        ByteBuffer rec = ByteBuffer.allocateDirect(RecordDescriptor.ALIGNED_PAYLOAD_OFFSET + length);
        RecordDescriptor.encodeAlignedHeader(meta, rec);
        assertThat(rec.position()).isZero();
        assertThat(rec.limit()).isEqualTo(RecordDescriptor.ALIGNED_PAYLOAD_OFFSET);
        rec.limit(rec.capacity()).position(RecordDescriptor.ALIGNED_PAYLOAD_OFFSET);
        rec.put(payload.duplicate()).position(0);
        RecordDescriptor.Header h = RecordDescriptor.header(rec, 0, false);
        assertThat(h.recordLength()).isEqualTo(rec.limit());
        if (where < 0) {
            assertThat(RecordDescriptor.decode(rec, meta, 0)).isEqualTo(payload);
            return;
        }
        int at = where % rec.limit();
        rec.put(at, (byte) (rec.get(at) ^ mask));
        ByteBuffer decoded = RecordDescriptor.decode(rec, meta, 0);
        if (at >= RecordDescriptor.HEADER_LENGTH && at < RecordDescriptor.ALIGNED_PAYLOAD_OFFSET) {
            assertThat(decoded).as("the padding is not part of the record's checks").isEqualTo(payload);
        } else {
            assertThat(decoded).as("flip at %d of %d", at, rec.limit()).isNull();
        }
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<Codec> codecs() {
        return net.jqwik.api.Arbitraries.of(Codec.class);
    }
}
