package io.kvstore.core.key;

import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlockKeyTest {

    @Test
    void bytesHexAndBuffersRoundTrip() {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = (byte) (i * 7 + 1);
        }
        BlockKey k = BlockKey.of(b);
        assertThat(k.toBytes()).isEqualTo(b);
        assertThat(BlockKey.fromHex(k.toHex())).isEqualTo(k).hasSameHashCodeAs(k);
        ByteBuffer le = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        k.writeTo(le);
        assertThat(le.array()).isEqualTo(b);
        le.flip();
        assertThat(BlockKey.read(le)).isEqualTo(k);
        assertThat(le.remaining()).isZero();
    }

    @Test
    void badInputIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> BlockKey.of(new byte[31])).hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> BlockKey.fromHex("abc")).hasMessageContaining("64 hex digits");
        assertThatThrownBy(() -> BlockKey.fromHex("z".repeat(64))).hasMessageContaining("not a hex block key");
    }

    @Test
    void chainsDifferAcrossNamespacesAndShareCommonPrefixes() {
        Namespace a = Namespace.of("m", KvLayout.llama3_8b(4));
        Namespace b = new Namespace("m", KvLayout.llama3_8b(4), "tenant-b", "", "");
        int[] t1 = {1, 2, 3, 4, 5, 6, 7, 8};
        int[] t2 = {1, 2, 3, 4, 9, 9, 9, 9};
        List<BlockKey> ka = new PrefixHasher(a).hash(t1);
        assertThat(new PrefixHasher(a).hash(t2).get(0)).isEqualTo(ka.get(0));
        assertThat(new PrefixHasher(a).hash(t2).get(1)).isNotEqualTo(ka.get(1));
        assertThat(new PrefixHasher(b).hash(t1)).doesNotContainAnyElementsOf(ka);
        assertThatThrownBy(() -> new PrefixHasher(a).hash(new int[]{1, -2, 3, 4}))
                .hasMessageContaining("negative");
    }
}
