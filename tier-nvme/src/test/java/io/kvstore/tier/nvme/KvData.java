package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;

/** Test data: KV-cache-like payloads. */
final class KvData {

    private KvData() {
    }

    /** bf16 values drawn from N(0, 1), little-endian, like K/V activations. */
    static ByteBuffer bf16Normal(long seed, int bytes) {
        java.util.Random r = new java.util.Random(seed);
        ByteBuffer b = ByteBuffer.allocate(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 2) {
            b.putShort((short) (Float.floatToRawIntBits((float) r.nextGaussian()) >>> 16));
        }
        return b.clear().order(java.nio.ByteOrder.BIG_ENDIAN);
    }

    static BlockMeta meta(BlockKey key, ByteBuffer payload) {
        return new BlockMeta(key, BlockKey.synthetic(0, 0), 0, 1, 7, payload.remaining(), Checksums.crc32c(payload));
    }
}
