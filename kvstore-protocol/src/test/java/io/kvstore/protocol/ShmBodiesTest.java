package io.kvstore.protocol;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.body.Hello;
import io.kvstore.protocol.body.HelloReply;
import io.kvstore.protocol.body.ShmGetReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shared-memory additions are additive: old bodies still parse, new fields round-trip. */
class ShmBodiesTest {

    private static final Namespace NS = new Namespace("m", new KvLayout("fp16", 2, 2, 64, 16), "t", "", "");
    private static final ProtocolLimits LIMITS = new ProtocolLimits(1 << 20, 100, 4096);

    @Test
    void helloFeaturesAreOptional() {
        ByteBuf b = Unpooled.buffer();
        new Hello(1, NS, "tok").write(b);
        assertThat(Hello.read(b, LIMITS).features()).isZero();
        new Hello(1, NS, "tok", Hello.FEATURE_SHM).write(b);
        assertThat(Hello.read(b, LIMITS)).isEqualTo(new Hello(1, NS, "tok", Hello.FEATURE_SHM));
        b.release();
    }

    @Test
    void helloReplyShmDirectoryIsOptional() {
        ByteBuf b = Unpooled.buffer();
        new HelloReply(1, 7, 4096, 10, List.of("dram")).write(b);
        HelloReply r = HelloReply.read(b);
        assertThat(r.offersShm()).isFalse();
        new HelloReply(1, 7, 4096, 10, List.of("dram"), "/dev/shm/x").write(b);
        assertThat(HelloReply.read(b).shmDirectory()).isEqualTo("/dev/shm/x");
        new HelloReply(1, 7, 4096, 10, List.of("dram"), "", 0, 7380).write(b);
        HelloReply withAdmin = HelloReply.read(b);
        assertThat(withAdmin.offersShm()).isFalse();
        assertThat(withAdmin.adminPort()).isEqualTo(7380);
        assertThat(b.isReadable()).isFalse();
        b.release();
    }

    @Test
    void helloReplyFeaturesFollowAnEmptyShmDirectoryAndOlderReadersIgnoreThem() {
        ByteBuf b = Unpooled.buffer();
        new HelloReply(1, 7, 4096, 10, List.of("dram"), "", Hello.FEATURE_SERVER_CHECKSUM, 0).write(b);
        ByteBuf copy = b.copy();
        HelloReply r = HelloReply.read(b);
        assertThat(r.offersShm()).isFalse();
        assertThat(r.grantsServerChecksum()).isTrue();
        new HelloReply(1, 7, 4096, 10, List.of("dram")).write(b);
        assertThat(HelloReply.read(b).grantsServerChecksum()).isFalse();
        // a reader that knows only the shmDirectory field still parses the new reply
        copy.skipBytes(1 + 8 + 4 + 4);
        for (int n = copy.readUnsignedByte(); n > 0; n--) {
            Wire.readString(copy, 65535, "tier name");
        }
        assertThat(Wire.readString(copy, 65535, "shmDirectory")).isEmpty();
        assertThat(copy.readableBytes()).isEqualTo(1);
        b.release();
        copy.release();
    }

    @Test
    void shmGetReplyRoundTripsAndChecksItsCount() {
        BlockMeta m = new BlockMeta(BlockKey.of(new byte[32]), BlockKey.of(new byte[32]), 0, 9, 3, 1000, 42);
        ShmGetReply r = new ShmGetReply(5, true, List.of(new ShmGetReply.Location(m, "segment-000.arena", 65536)));
        ByteBuf b = Unpooled.buffer();
        r.write(b);
        ByteBuf copy = b.copy();
        assertThat(ShmGetReply.read(b, 9, 10)).isEqualTo(r);
        assertThatThrownBy(() -> ShmGetReply.read(copy, 9, 0)).isInstanceOf(ProtocolException.class);
        b.release();
        copy.release();
    }
}
