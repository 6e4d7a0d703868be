package io.kvstore.protocol;

import io.kvstore.core.hybrid.Group;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.body.HybridLookupReply;
import io.kvstore.protocol.body.HybridLookupRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HYBRID_LOOKUP's bodies byte for byte as docs/protocol.md lays them out, and their refusals. */
class HybridLookupCodecTest {
    static final ProtocolLimits LIMITS = new ProtocolLimits(1 << 20, 1000, 1000);

    @Test
    void requestLayout() {
        BlockKey k = BlockKey.fromHex("13faf65e54b138bc365eb5001aadfd221708aa13498588f74dae6f30f9ca033f");
        HybridLookupRequest q = new HybridLookupRequest(250,
                List.of(Group.full(), Group.state(8_716_288), Group.window(4096)), List.of(k));
        ByteBuf b = Unpooled.buffer();
        q.write(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("000000fa" + "03" + "0000000000" + "0200850000"
                + "0100001000" + "00000001" + k.toHex());
        assertThat(HybridLookupRequest.read(b, LIMITS)).isEqualTo(q);
    }

    @Test
    void replyLayout() {
        ByteBuf b = Unpooled.buffer();
        new HybridLookupReply(2, 3, List.of("dram", "dram", "nvme")).write(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("00000002" + "00000003" + "02" + "00046472616d" + "00046e766d65"
                + "00000003" + "000001");
        assertThat(HybridLookupReply.read(b)).isEqualTo(new HybridLookupReply(2, 3, List.of("dram", "dram", "nvme")));
    }

    @Test
    void badGroupsAreMalformed() {
        for (String groups : List.of("01" + "0200000010", "02" + "0000000000" + "0000000000", "01" + "0900000000",
                "02" + "0000000000" + "0100000000", "01" + "0000000007")) {
            ByteBuf b = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("00000000" + groups + "00000000"));
            assertThatThrownBy(() -> HybridLookupRequest.read(b, LIMITS)).as(groups)
                    .isInstanceOf(ProtocolException.class)
                    .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.MALFORMED));
        }
    }
}
