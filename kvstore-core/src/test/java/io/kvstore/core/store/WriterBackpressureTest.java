package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.ForwardingTier;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.policy.linked.LruPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tier's writer backpressure ({@code Tier.awaitWritable}) holds up only the writer: while a put waits there, the
 * store's lock is free, so lookups and gets go on.
 */
@Timeout(30)
class WriterBackpressureTest {

    /** A tier that makes writers wait while its gate is closed, like a tier waiting for a compaction. */
    static final class GatedTier extends ForwardingTier {
        final CountDownLatch writerWaiting = new CountDownLatch(1);
        volatile CountDownLatch gate; // null: open

        GatedTier() {
            super(new HeapTier("nvme", 1 << 20));
        }

        @Override
        public void awaitWritable() {
            CountDownLatch g = gate;
            if (g != null) {
                writerWaiting.countDown();
                try {
                    g.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Test
    void aWriterWaitingForATierDoesNotBlockReaders() throws Exception {
        GatedTier nvme = new GatedTier();
        try (TieredStore store = TieredStore.builder()
                .tier(TierSpec.of(new HeapTier("dram", 1 << 20), new LruPolicy<>()))
                .tier(TierSpec.of(nvme, new LruPolicy<>())).build()) {
            assertThat(store.put(Blocks.meta(1, 1024), Blocks.payload(1, 1024)).status()).isEqualTo(PutStatus.STORED);
            nvme.gate = new CountDownLatch(1);
            CompletableFuture<PutResult> writer = CompletableFuture.supplyAsync(
                    () -> store.put(Blocks.meta(2, 1024), Blocks.payload(2, 1024)));
            assertThat(nvme.writerWaiting.await(10, TimeUnit.SECONDS)).as("the writer waits in the tier").isTrue();

            CompletableFuture<Boolean> reader = CompletableFuture.supplyAsync(() -> {
                boolean found = store.lookup(Blocks.NS, List.of(Blocks.key(1)), 0).hitBlocks() == 1;
                try (BlockHandle h = store.get(Blocks.NS, Blocks.key(1)).handle()) {
                    return found && h.payload().equals(Blocks.payload(1, 1024));
                }
            });
            assertThat(reader.get(5, TimeUnit.SECONDS)).as("readers are served while the writer waits").isTrue();
            assertThat(writer).isNotDone();

            nvme.gate.countDown();
            assertThat(writer.get(5, TimeUnit.SECONDS).status()).isEqualTo(PutStatus.STORED);
        }
    }
}
