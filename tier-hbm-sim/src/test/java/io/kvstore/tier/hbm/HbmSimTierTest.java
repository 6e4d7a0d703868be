package io.kvstore.tier.hbm;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.TierReservation;
import io.kvstore.core.tier.TierStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class HbmSimTierTest {

    static final int MIB = 1 << 20;

    @Test
    void aTransferTakesItsDirectionsLatencyPlusItsBytesAtItsDirectionsBandwidthRoundedUp() {
        PcieLinkModel m = new PcieLinkModel(2e9, 1e9, 1_000, 3_000); // asymmetric, so a swapped direction shows
        assertThat(m.transferNanos(TransferDirection.HOST_TO_DEVICE, 1_000_001)).isEqualTo(1_000 + 500_001);
        assertThat(m.transferNanos(TransferDirection.DEVICE_TO_HOST, 1_000_001)).isEqualTo(3_000 + 1_000_001);
        assertThat(m.transferNanos(TransferDirection.DEVICE_TO_HOST, 0)).isEqualTo(3_000);
        assertThatThrownBy(() -> m.transferNanos(TransferDirection.HOST_TO_DEVICE, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isDrainedAtExitAndOffersNeitherDurabilityNorSharedMemory() {
        try (HbmSimTier t = new HbmSimTier(HbmSimConfig.of("hbm", 4L * MIB), new ManualClock())) {
            assertThat(t.drainedAtExit()).isTrue();
            assertThat(t.durable()).isFalse();
            assertThat(t.sharedMemory()).isEmpty();
        }
    }

    @Test
    void accountsModelledTimeAndBytesPerDirectionWithoutWaiting() {
        ManualClock clock = new ManualClock();
        try (HbmSimTier t = new HbmSimTier(HbmSimConfig.of("hbm", 64L * MIB), clock)) {
            for (int i = 0; i < 4; i++) {
                assertThat(t.put(Blocks.meta(i, 2 * MIB), Blocks.payload(i, 2 * MIB))).isEqualTo(PutOutcome.STORED);
            }
            try (BlockHandle h = t.read(Blocks.key(2)).handle()) {
                assertThat(h.payload()).isEqualTo(Blocks.payload(2, 2 * MIB));
            }
            TierStats s = t.stats();
            long one = t.link().transferNanos(TransferDirection.HOST_TO_DEVICE, 2 * MIB);
            assertThat(s.details()).containsEntry("h2d_bytes", 8L * MIB).containsEntry("h2d_transfers", 4L)
                    .containsEntry("h2d_modelled_nanos", 4 * one).containsEntry("d2h_bytes", 2L * MIB)
                    .containsEntry("d2h_transfers", 1L).containsEntry("pacing", 0L)
                    .containsKeys("free_pages", "largest_free_run_pages");
            // the clock never moved: the four puts queued behind each other on the wire
            long wire = t.link().wireNanos(TransferDirection.HOST_TO_DEVICE, 2 * MIB);
            assertThat(s.details()).containsEntry("h2d_queue_nanos", (0 + 1 + 2 + 3) * wire);
            assertThat(t.modelledTransferNanos(TransferDirection.DEVICE_TO_HOST))
                    .isEqualTo(t.link().transferNanos(TransferDirection.DEVICE_TO_HOST, 2 * MIB));
            assertThat(t.bytesMoved(TransferDirection.DEVICE_TO_HOST)).isEqualTo(2L * MIB);
            // a miss or a refused put moves nothing
            t.read(Blocks.key(99));
            assertThat(t.put(Blocks.meta(1, 2 * MIB), Blocks.payload(1, 2 * MIB)))
                    .isEqualTo(PutOutcome.ALREADY_PRESENT);
            assertThat(t.stats().details()).containsEntry("h2d_transfers", 4L).containsEntry("d2h_transfers", 1L);
        }
    }

    @Test
    void pacingWaitsForTheModelledTransferInRealTime() {
        // 1 GB/s: a 4 MiB put must take at least ~4.2 ms of real time
        PcieLinkModel slow = new PcieLinkModel(1e9, 1e9, 0, 0);
        try (HbmSimTier t = new HbmSimTier(HbmSimConfig.of("hbm", 16L * MIB).withLink(slow).withPacing(true),
                NanoClock.system())) {
            long start = System.nanoTime();
            t.put(Blocks.meta(1, 4 * MIB), Blocks.payload(1, 4 * MIB));
            long took = System.nanoTime() - start;
            assertThat(took).isGreaterThanOrEqualTo(slow.transferNanos(TransferDirection.HOST_TO_DEVICE, 4 * MIB));
        }
    }

    @Test
    void badLinkModelsAreRefused() {
        assertThatThrownBy(() -> new PcieLinkModel(0, 1e9, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PcieLinkModel(1e9, 1e9, -1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aReservationIsWrittenInPlaceAndItsCommitIsTheTransfer() {
        ManualClock clock = new ManualClock();
        try (HbmSimTier t = new HbmSimTier(HbmSimConfig.of("hbm", 8L * MIB), clock)) {
            assertThat(t.reservesInPlace()).isTrue();
            TierReservation r = t.reserve(Blocks.meta(1, 2 * MIB)).reservation();
            r.buffer().put(Blocks.payload(1, 2 * MIB));
            assertThat(t.stats().details()).containsEntry("h2d_transfers", 0L);
            assertThat(r.commit(Blocks.meta(1, 2 * MIB))).isEqualTo(PutOutcome.STORED);
            assertThat(t.stats().details()).containsEntry("h2d_transfers", 1L).containsEntry("h2d_bytes", 2L * MIB);
            try (BlockHandle h = t.read(Blocks.key(1)).handle()) {
                assertThat(h.payload()).isEqualTo(Blocks.payload(1, 2 * MIB));
            }
            TierReservation aborted = t.reserve(Blocks.meta(2, 2 * MIB)).reservation();
            aborted.abort();
            assertThat(t.usedBytes()).isEqualTo(2L * MIB);
            assertThat(t.stats().details()).containsEntry("h2d_transfers", 1L).containsEntry("reserved_pages", 0L);
        }
    }
}
