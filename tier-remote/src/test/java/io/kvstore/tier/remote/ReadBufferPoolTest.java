package io.kvstore.tier.remote;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

class ReadBufferPoolTest {

    @Test
    void boundsBuffersHandedOutAndReusesReleasedOnes() {
        ReadBufferPool pool = new ReadBufferPool(1 << 20);
        ByteBuffer a = pool.acquire(300_000); // 512 KiB class
        assertThat(a.isDirect()).isTrue();
        assertThat(a.limit()).isEqualTo(300_000);
        assertThat(a.capacity()).isEqualTo(512 * 1024);
        ByteBuffer b = pool.acquire(400_000);
        assertThat(pool.inUseBytes()).isEqualTo(1 << 20);
        assertThat(pool.acquire(1)).as("past the limit").isNull();
        assertThat(pool.exhaustedCount()).isEqualTo(1);
        pool.release(a);
        ByteBuffer c = pool.acquire(262_145);
        assertThat(c).as("the released buffer is reused").isSameAs(a);
        assertThat(c.position()).isZero();
        assertThat(c.limit()).isEqualTo(262_145);
        pool.release(b);
        pool.release(c);
        assertThat(pool.inUseBytes()).isZero();
        assertThat(pool.acquire(100).capacity()).isEqualTo(4096);
    }
}
