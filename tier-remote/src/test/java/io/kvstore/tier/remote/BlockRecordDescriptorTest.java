package io.kvstore.tier.remote;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.testing.Blocks;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class BlockRecordDescriptorTest {

    @Test
    void headerRoundTripsAndEveryFlippedByteIsDetected() {
        BlockMeta m = Blocks.meta(42, 3 * (1 << 20) + 5);
        byte[] h = BlockRecordDescriptor.encode(m, 1 << 20, 1_700_000_000_000L);
        assertThat(h).hasSize(BlockRecordDescriptor.HEADER_BYTES);
        BlockRecordDescriptor.Header d = BlockRecordDescriptor.decode(h, m.key());
        assertThat(d.meta()).isEqualTo(m);
        assertThat(d.pieceCount()).isEqualTo(4);
        assertThat(d.pieceBytes()).isEqualTo(1 << 20);
        assertThat(d.writtenAtMillis()).isEqualTo(1_700_000_000_000L);
        for (int i = 0; i < h.length; i++) {
            byte[] bad = h.clone();
            bad[i] ^= 0x10;
            assertThat(BlockRecordDescriptor.decode(bad, m.key())).as("byte %d", i).isNull();
        }
        assertThat(BlockRecordDescriptor.decode(h, Blocks.key(43))).as("header stored under another key").isNull();
        assertThat(BlockRecordDescriptor.decode(new byte[3], m.key())).isNull();
        assertThat(BlockRecordDescriptor.decode(null, m.key())).isNull();
    }

    @Test
    void keysShareOneHashTag() {
        BlockMeta m = Blocks.meta(1, 10);
        String meta = new String(BlockRecordDescriptor.metaKey("kv", m.key()), StandardCharsets.US_ASCII);
        assertThat(meta).isEqualTo("kv:{" + m.key().toHex() + "}:meta");
        byte[][] pieces = BlockRecordDescriptor.pieceKeys("kv", m.key(), 2);
        assertThat(new String(pieces[1], StandardCharsets.US_ASCII)).isEqualTo("kv:{" + m.key().toHex() + "}:1");
        int slot = io.lettuce.core.cluster.SlotHash.getSlot(meta);
        assertThat(io.lettuce.core.cluster.SlotHash.getSlot(pieces[0])).isEqualTo(slot);
        assertThat(io.lettuce.core.cluster.SlotHash.getSlot(pieces[1])).isEqualTo(slot);
        assertThat(BlockRecordDescriptor.keyOfMetaKey("kv", meta.getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(m.key());
        assertThat(BlockRecordDescriptor.keyOfMetaKey("kv", "kv:{zz}:meta".getBytes(StandardCharsets.US_ASCII)))
                .isNull();
        assertThat(BlockRecordDescriptor.pieceCount(0, 1 << 20)).isZero();
        assertThat(BlockRecordDescriptor.pieceCount(1 << 20, 1 << 20)).isEqualTo(1);
        assertThat(BlockRecordDescriptor.pieceCount((1 << 20) + 1, 1 << 20)).isEqualTo(2);
    }
}
