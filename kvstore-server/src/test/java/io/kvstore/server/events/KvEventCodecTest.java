package io.kvstore.server.events;

import io.kvstore.core.key.BlockKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The msgpack payload of a batch: vLLM's array layout, uint64 hashes above 2^63, 32-byte hashes, decoding. */
@Timeout(10)
class KvEventCodecTest {

    static final BlockKey KEY = BlockKey.fromHex("00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210");
    static final BlockKey PARENT = BlockKey.fromHex("ffeeddccbbaa99887766554433221100000000000000000000000000000000aa");

    @Test
    void aBatchIsTimestampEventsAndRankWithTaggedArraysInVllmsFieldOrder() throws Exception {
        byte[] payload = new KvEventCodec(HashFormat.U64).encode(12.5, List.of(
                KvEvent.stored(KEY, PARENT, new int[] {7, 8}, 2, "CPU_PINNED"),
                KvEvent.removed(KEY, "DISK"), KvEvent.allCleared()), 0);
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(payload)) {
            Value v = u.unpackValue();
            List<Value> batch = v.asArrayValue().list();
            assertThat(batch).hasSize(3);
            assertThat(batch.get(0).asFloatValue().toDouble()).isEqualTo(12.5);
            assertThat(batch.get(2).asIntegerValue().toInt()).isZero();
            List<Value> stored = batch.get(1).asArrayValue().get(0).asArrayValue().list();
            assertThat(stored).hasSize(8);
            assertThat(stored.get(0).asStringValue().asString()).isEqualTo("BlockStored");
            // low 64 bits of the key, big-endian, unsigned: 0xfedcba9876543210 > 2^63 is a uint64
            assertThat(stored.get(1).asArrayValue().get(0).asIntegerValue().asBigInteger())
                    .isEqualTo(new java.math.BigInteger("fedcba9876543210", 16));
            assertThat(stored.get(2).asIntegerValue().toLong()).isEqualTo(0xaaL);
            assertThat(stored.get(3).asArrayValue().list()).extracting(x -> x.asIntegerValue().toInt())
                    .containsExactly(7, 8);
            assertThat(stored.get(4).asIntegerValue().toInt()).isEqualTo(2);
            assertThat(stored.get(5).isNilValue()).isTrue();
            assertThat(stored.get(6).asStringValue().asString()).isEqualTo("CPU_PINNED");
            assertThat(stored.get(7).isNilValue()).isTrue();
            List<Value> removed = batch.get(1).asArrayValue().get(1).asArrayValue().list();
            assertThat(removed).hasSize(3);
            assertThat(removed.get(2).asStringValue().asString()).isEqualTo("DISK");
            assertThat(batch.get(1).asArrayValue().get(2).asArrayValue().list()).hasSize(1);
        }
    }

    @Test
    void decodingGivesBackTheEventsWithHashesAsTheirLow64BitsInEitherFormat() {
        for (HashFormat f : HashFormat.values()) {
            KvEventCodec.DecodedBatch b = KvEventCodec.decode(new KvEventCodec(f).encode(1.0, List.of(
                    KvEvent.stored(KEY, null, new int[] {1, 2, 3}, 3, "GPU"), KvEvent.removed(KEY, "GPU")), 0));
            assertThat(b.events()).hasSize(2);
            KvEventCodec.Decoded s = b.events().get(0);
            assertThat(s.tag()).isEqualTo("BlockStored");
            assertThat(s.hashes()).containsExactly(HashFormat.low64(KEY));
            assertThat(s.parent()).isNull();
            assertThat(s.tokenIds()).containsExactly(1, 2, 3);
            assertThat(s.blockSize()).isEqualTo(3);
            assertThat(s.medium()).isEqualTo("GPU");
            assertThat(b.events().get(1).hashes()).containsExactly(HashFormat.low64(KEY));
        }
    }

    @Test
    void aPayloadThatIsNotABatchIsATypedError() {
        assertThatThrownBy(() -> KvEventCodec.decode(new byte[] {(byte) 0x91, 0x01}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch");
        assertThatThrownBy(() -> KvEventCodec.decode(new byte[] {(byte) 0xc1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a KV-event batch");
    }
}
