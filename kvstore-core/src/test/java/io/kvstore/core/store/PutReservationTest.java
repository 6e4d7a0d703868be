package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.ForwardingTier;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.policy.linked.LruPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reserve, fill, publish or abort: the block is invisible until published, and an abort leaves no trace. */
class PutReservationTest {

    private static final int B = 1000;

    private final ManualClock clock = new ManualClock();
    private final List<StoreEvent> events = new ArrayList<>();
    private HeapTier top;
    private HeapTier bottom;
    private TieredStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private TieredStore twoTiers(int topBlocks, boolean topInPlace) {
        top = new HeapTier("dram", (long) topBlocks * B);
        bottom = new HeapTier("nvme", 10L * B);
        store = TieredStore.builder().clock(clock).listener(events::add)
                .tier(TierSpec.of(topInPlace ? top : new ForwardingTier(top) { }, new LruPolicy<>()))
                .tier(TierSpec.of(bottom, new LruPolicy<>()))
                .build();
        return store;
    }

    private static void fill(PutReservation r, int n) {
        r.buffer().put(Blocks.payload(n, B));
    }

    @Test
    void aPublishedReservationIsReadableAndInvisibleBefore() {
        twoTiers(4, true);
        PutReservation r = store.reserve(Blocks.meta(1, B), PutReservation.Checksum.VERIFY);
        assertThat(r.refusal()).isNull();
        assertThat(r.inPlace()).isTrue();
        assertThat(r.buffer().remaining()).isEqualTo(B);
        fill(r, 1);
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        assertThat(store.get(Blocks.NS, Blocks.key(1)).isHit()).isFalse();
        assertThat(store.lookup(Blocks.NS, List.of(Blocks.key(1)), 0).hitBlocks()).isZero();
        assertThat(store.info(Blocks.key(1))).isNull();
        assertThat(top.usedBytes()).isZero();
        assertThat(top.reservedBytes()).isEqualTo(B);

        assertThat(r.publish()).isEqualTo(new PutResult(PutStatus.STORED, "dram"));
        assertThat(r.isOpen()).isFalse();
        try (BlockHandle h = store.get(Blocks.NS, Blocks.key(1)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(1, B));
        }
        assertThat(top.usedBytes()).isEqualTo(B);
        assertThat(top.reservedBytes()).isZero();
        assertThat(store.stats().get(0).admitted()).isEqualTo(1);
        assertThat(events).extracting(StoreEvent::type).contains(StoreEvent.Type.ADMITTED);
        assertThatThrownBy(r::publish).isInstanceOf(IllegalStateException.class);
        r.abort(); // no-op after publish
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isTrue();
    }

    @Test
    void anAbortLeavesTheTierAndTheKeyAsTheyWere() {
        twoTiers(4, true);
        store.put(Blocks.meta(0, B), Blocks.payload(0, B));
        long used = top.usedBytes();
        try (PutReservation r = store.reserve(Blocks.meta(1, B), PutReservation.Checksum.VERIFY)) {
            r.buffer().put(Blocks.payload(1, B).limit(B / 2));
            r.filled(B / 2);
            assertThat(store.put(Blocks.meta(1, B), Blocks.payload(1, B)).status())
                    .as("the key is claimed while reserved").isEqualTo(PutStatus.ALREADY_PRESENT);
        } // a client gone mid-value: close aborts
        assertThat(top.usedBytes()).isEqualTo(used);
        assertThat(top.reservedBytes()).isZero();
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        assertThat(store.put(Blocks.meta(1, B), Blocks.payload(1, B)).status()).isEqualTo(PutStatus.STORED);
        // the policy forgot the aborted block: four blocks fit without any demotion
        store.put(Blocks.meta(2, B), Blocks.payload(2, B));
        store.put(Blocks.meta(3, B), Blocks.payload(3, B));
        assertThat(store.stats().get(0).demotedOut()).isZero();
        assertThat(tierOf(0)).isEqualTo("dram");
    }

    @Test
    void tryReserveGrantsAtOnceWhatNeedsNoWaitAndDeclinesTheRest() {
        twoTiers(2, true); // no demoter threads: a victim of the top level would be moved by the caller itself
        PutReservation r = store.tryReserve(Blocks.meta(1, B), PutReservation.Checksum.VERIFY);
        assertThat(r).as("a level below and no demoters: the caller would move victims (I/O)").isNull();
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        store.close();

        java.util.concurrent.ExecutorService demoter = java.util.concurrent.Executors.newFixedThreadPool(1);
        try {
            top = new HeapTier("dram", 2L * B);
            bottom = new HeapTier("nvme", 10L * B);
            store = TieredStore.builder().clock(clock).listener(events::add)
                    .tier(TierSpec.of(top, new LruPolicy<>())).tier(TierSpec.of(bottom, new LruPolicy<>()))
                    .demoter(demoter, 1).build();
            for (int n = 0; n < 6; n++) { // past the top level's capacity: victims go to the demoter
                PutReservation now = store.tryReserve(Blocks.meta(n, B), PutReservation.Checksum.VERIFY);
                PutReservation got = now != null ? now : store.reserve(Blocks.meta(n, B), PutReservation.Checksum.VERIFY);
                assertThat(got.refusal()).isNull();
                fill(got, n);
                assertThat(got.publish().status()).isEqualTo(PutStatus.STORED);
            }
            PutReservation again = store.tryReserve(Blocks.meta(5, B), PutReservation.Checksum.VERIFY);
            assertThat(again).isNotNull();
            assertThat(again.refusal().status()).as("a refusal is answered at once too")
                    .isEqualTo(PutStatus.ALREADY_PRESENT);
            for (int n = 0; n < 6; n++) {
                int k = n;
                waitUntil(() -> store.contains(Blocks.NS, Blocks.key(k)));
                GetResult g = store.get(Blocks.NS, Blocks.key(n));
                try (BlockHandle h = g.handle()) {
                    assertThat(h.payload()).as("block %d", n).isEqualTo(Blocks.payload(n, B));
                }
            }
            assertThat(top.reservedBytes()).isZero();
        } finally {
            store.close();
            demoter.shutdown();
        }
    }

    @Test
    void tryReserveLeavesATierThatWouldMakeWritersWaitToAThreadThatMay() {
        top = new HeapTier("dram", 4L * B);
        store = TieredStore.builder().clock(clock)
                .tier(TierSpec.of(new ForwardingTier(top) {
                    @Override
                    public boolean writableWithoutWaiting() {
                        return false; // e.g. compaction behind: awaitWritable would block
                    }
                }, new LruPolicy<>())).build();
        assertThat(store.tryReserve(Blocks.meta(1, B), PutReservation.Checksum.VERIFY)).isNull();
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        try (PutReservation r = store.reserve(Blocks.meta(1, B), PutReservation.Checksum.VERIFY)) {
            assertThat(r.refusal()).as("the key was left free").isNull();
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier done) {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out").isLessThan(end);
            Thread.onSpinWait();
        }
    }

    /** The tier a get of block {@code n} reads from (its handle closed). */
    private String tierOf(int n) {
        GetResult g = store.get(Blocks.NS, Blocks.key(n));
        try (BlockHandle h = g.handle()) {
            return h == null ? null : g.tier();
        }
    }

    @Test
    void aBadChecksumStoresNothingAndLosesNothing() {
        twoTiers(4, true);
        store.put(Blocks.meta(0, B), Blocks.payload(0, B));
        PutReservation r = store.reserve(Blocks.meta(1, B), PutReservation.Checksum.VERIFY);
        fill(r, 2); // another block's bytes
        assertThat(r.publish().status()).isEqualTo(PutStatus.BAD_CHECKSUM);
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        assertThat(top.reservedBytes()).isZero();
        assertThat(top.usedBytes()).isEqualTo(B);
        try (BlockHandle h = store.get(Blocks.NS, Blocks.key(0)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(0, B));
        }
    }

    @Test
    void aComputedChecksumIsTheOneStored() {
        twoTiers(4, true);
        BlockMeta sent = Blocks.meta(1, B);
        BlockMeta noCrc = new BlockMeta(sent.key(), sent.parent(), 0, sent.namespaceId(), sent.layoutId(), B, 0);
        PutReservation r = store.reserve(noCrc, PutReservation.Checksum.COMPUTE);
        ByteBuffer into = r.buffer();
        ByteBuffer bytes = Blocks.payload(1, B);
        for (int at = 0; at < B; at += 300) { // reported chunk by chunk, as a socket fills it
            int n = Math.min(300, B - at);
            into.put(bytes.duplicate().position(at).limit(at + n));
            r.filled(at + n);
        }
        assertThat(r.publish().status()).isEqualTo(PutStatus.STORED);
        assertThat(store.info(sent.key()).meta().crc32c()).isEqualTo(Checksums.crc32c(Blocks.payload(1, B)));
        try (BlockHandle h = store.get(Blocks.NS, sent.key()).handle()) { // HeapTier verifies the checksum
            assertThat(h.payload()).isEqualTo(bytes);
        }
    }

    @Test
    void aDeleteWhileReservedSeesNothingAndThePublishedBlockStays() {
        twoTiers(4, true);
        PutReservation r = store.reserve(Blocks.meta(1, B), PutReservation.Checksum.VERIFY);
        fill(r, 1);
        assertThat(store.delete(Blocks.NS, Blocks.key(1))).isEqualTo(PinStatus.NOT_FOUND);
        assertThat(r.publish().status()).isEqualTo(PutStatus.STORED);
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isTrue();
    }

    @Test
    void aCachedKeyOrAnotherNamespaceIsRefused() {
        twoTiers(4, true);
        store.put(Blocks.meta(1, B), Blocks.payload(1, B));
        PutReservation r = store.reserve(Blocks.meta(1, B), PutReservation.Checksum.VERIFY);
        assertThat(r.refusal()).isEqualTo(new PutResult(PutStatus.ALREADY_PRESENT, "dram"));
        assertThat(r.isOpen()).isFalse();
        assertThatThrownBy(r::buffer).isInstanceOf(IllegalStateException.class);
        r.close();
        PutReservation other = store.reserve(Blocks.meta(99, 1, B), PutReservation.Checksum.VERIFY);
        assertThat(other.refusal().status()).isEqualTo(PutStatus.NAMESPACE_CONFLICT);
    }

    @Test
    void roomIsMadeAtReserve() {
        twoTiers(2, true);
        store.put(Blocks.meta(0, B), Blocks.payload(0, B));
        store.put(Blocks.meta(1, B), Blocks.payload(1, B));
        PutReservation r = store.reserve(Blocks.meta(2, B), PutReservation.Checksum.VERIFY);
        assertThat(r.inPlace()).isTrue();
        assertThat(store.stats().get(0).demotedOut()).as("the victim moved down before any byte arrived")
                .isEqualTo(1);
        assertThat(tierOf(0)).isEqualTo("nvme");
        fill(r, 2);
        assertThat(r.publish()).isEqualTo(new PutResult(PutStatus.STORED, "dram"));
    }

    @Test
    void aTierWithoutInPlaceMemoryIsStagedAndPutAtPublish() {
        twoTiers(4, false);
        PutReservation r = store.reserve(Blocks.meta(1, B), PutReservation.Checksum.VERIFY);
        assertThat(r.inPlace()).isFalse();
        fill(r, 1);
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        assertThat(r.publish()).isEqualTo(new PutResult(PutStatus.STORED, "dram"));
        try (BlockHandle h = store.get(Blocks.NS, Blocks.key(1)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(1, B));
        }
        PutReservation aborted = store.reserve(Blocks.meta(2, B), PutReservation.Checksum.VERIFY);
        aborted.abort();
        assertThat(store.put(Blocks.meta(2, B), Blocks.payload(2, B)).status()).isEqualTo(PutStatus.STORED);
    }

    @Test
    void tooLargeIsRefused() {
        twoTiers(1, true);
        PutReservation r = store.reserve(Blocks.meta(1, 20 * B), PutReservation.Checksum.VERIFY);
        assertThat(r.refusal().status()).isEqualTo(PutStatus.TOO_LARGE);
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        assertThat(store.put(Blocks.meta(1, B), Blocks.payload(1, B)).status()).isEqualTo(PutStatus.STORED);
    }
}
