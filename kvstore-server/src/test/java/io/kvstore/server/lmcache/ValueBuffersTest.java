package io.kvstore.server.lmcache;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ValueBuffersTest {

    private static final int CHUNK = (4 << 20) + LmDescriptor.STORED_PREFIX_BYTES; // a 4 MiB LMCache chunk

    @Test
    void aReleasedBufferIsHandedOutAgainWithItsBytesUntouched() {
        ValueBuffers pool = new ValueBuffers(64L << 20);
        ByteBuf a = pool.take(CHUNK);
        assertThat(a.isDirect()).isTrue();
        assertThat(a.capacity()).isEqualTo(ValueBuffers.sizeClass(CHUNK)).isGreaterThanOrEqualTo(CHUNK);
        assertThat(a.readerIndex()).isZero();
        assertThat(a.writerIndex()).isZero();
        a.writeLong(0x1122334455667788L);
        long address = a.memoryAddress();
        ByteBuf slice = a.retainedSlice(8, 16); // as the socket reads see it
        assertThat(a.release()).isFalse();
        assertThat(pool.idleBytes()).isZero(); // the slice still holds it
        assertThat(slice.release()).isTrue();
        assertThat(pool.idleBytes()).isEqualTo(ValueBuffers.sizeClass(CHUNK));

        ByteBuf b = pool.take(CHUNK - 10); // same size class
        assertThat(b.memoryAddress()).isEqualTo(address);
        assertThat(b.writerIndex()).isZero();
        assertThat(b.getLong(0)).isEqualTo(0x1122334455667788L); // reused, not zeroed
        assertThat(pool.idleBytes()).isZero();
        b.release();
    }

    @Test
    void sizesOfAnotherClassGetTheirOwnBuffer() {
        ValueBuffers pool = new ValueBuffers(64L << 20);
        ByteBuf a = pool.take(CHUNK);
        long address = a.memoryAddress();
        a.release();
        ByteBuf b = pool.take(CHUNK + ValueBuffers.GRANULE);
        assertThat(b.memoryAddress()).isNotEqualTo(address);
        assertThat(b.capacity()).isGreaterThanOrEqualTo(CHUNK + ValueBuffers.GRANULE);
        b.release();
        assertThat(pool.idleBytes()).isEqualTo(ValueBuffers.sizeClass(CHUNK)
                + ValueBuffers.sizeClass(CHUNK + ValueBuffers.GRANULE));
    }

    @Test
    void atMostTheLimitIsKeptIdle() {
        long limit = 3L * ValueBuffers.sizeClass(CHUNK);
        ValueBuffers pool = new ValueBuffers(limit);
        ByteBuf[] held = new ByteBuf[5];
        for (int i = 0; i < held.length; i++) {
            held[i] = pool.take(CHUNK);
        }
        for (ByteBuf b : held) {
            b.release();
        }
        assertThat(pool.idleBytes()).isEqualTo(limit); // two of the five were left to the garbage collector
    }

    @Test
    void sizeClassesAreWholeGranules() {
        assertThat(ValueBuffers.sizeClass(0)).isEqualTo(ValueBuffers.GRANULE);
        assertThat(ValueBuffers.sizeClass(1)).isEqualTo(ValueBuffers.GRANULE);
        assertThat(ValueBuffers.sizeClass(ValueBuffers.GRANULE)).isEqualTo(ValueBuffers.GRANULE);
        assertThat(ValueBuffers.sizeClass(ValueBuffers.GRANULE + 1)).isEqualTo(2 * ValueBuffers.GRANULE);
        assertThat(ValueBuffers.sizeClass(CHUNK)).isEqualTo(17 * ValueBuffers.GRANULE);
    }
}
