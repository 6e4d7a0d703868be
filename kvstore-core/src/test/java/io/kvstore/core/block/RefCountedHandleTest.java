package io.kvstore.core.block;

import io.kvstore.core.testing.Blocks;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Handles share one release, run once when the last closes; {@link RefCountedHandle#open()} counts the unclosed. */
class RefCountedHandleTest {

    @Test
    void theReleaseRunsOnceWhenTheLastHandleClosesAndOpenCountsEveryHandleUntilThen() {
        long before = RefCountedHandle.open();
        AtomicInteger released = new AtomicInteger();
        RefCountedHandle first = RefCountedHandle.create(Blocks.meta(1, 8), ByteBuffer.allocate(8),
                released::incrementAndGet);
        BlockHandle second = first.retain();
        assertThat(RefCountedHandle.open()).isEqualTo(before + 2);
        first.close();
        first.close(); // idempotent
        assertThat(released).hasValue(0);
        assertThat(RefCountedHandle.open()).isEqualTo(before + 1);
        second.close();
        assertThat(released).hasValue(1);
        assertThat(RefCountedHandle.open()).isEqualTo(before);
    }
}
