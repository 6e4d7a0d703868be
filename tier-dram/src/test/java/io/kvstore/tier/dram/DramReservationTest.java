package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.core.tier.TierReservation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A block written in place into arena pages: invisible until committed, gone without a trace when aborted. */
@Timeout(60)
class DramReservationTest {

    static final int PAGE = 16 * 1024;
    static final int LEN = 2 * PAGE + 100;

    private static TierReservation reserve(DramTier t, int n) {
        TierReservation.Attempt a = t.reserve(Blocks.meta(n, LEN));
        assertThat(a.outcome()).isEqualTo(PutOutcome.STORED);
        return a.reservation();
    }

    @Test
    void aCommittedReservationIsReadFromTheMemoryItWasWrittenInto() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 8 * PAGE, PAGE))) {
            assertThat(t.reservesInPlace()).isTrue();
            TierReservation r = reserve(t, 1);
            ByteBuffer into = r.buffer();
            assertThat(into.remaining()).isEqualTo(LEN);
            assertThat(into.isReadOnly()).isFalse();
            into.put(Blocks.payload(1, LEN));
            assertThat(t.read(Blocks.key(1)).isHit()).isFalse();
            assertThat(t.contains(Blocks.key(1))).isFalse();
            assertThat(t.usedBytes()).isZero();
            assertThat(t.stats().details()).containsEntry("reserved_pages", 3L).containsEntry("free_pages", 5L);

            assertThat(r.commit(Blocks.meta(1, LEN))).isEqualTo(PutOutcome.STORED);
            assertThat(t.usedBytes()).isEqualTo(3 * PAGE);
            assertThat(t.stats().details()).containsEntry("reserved_pages", 0L);
            try (BlockHandle h = t.read(Blocks.key(1)).handle()) {
                assertThat(h.payload()).isEqualTo(Blocks.payload(1, LEN));
                assertThat(t.sharedLocation(h.payload())).isNull(); // not file-backed
            }
            r.abort(); // no-op after a commit
            assertThat(t.contains(Blocks.key(1))).isTrue();
        }
    }

    @Test
    void anAbortGivesThePagesBack() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 6 * PAGE, PAGE))) {
            t.put(Blocks.meta(0, PAGE), Blocks.payload(0, PAGE));
            long used = t.usedBytes();
            TierReservation r = reserve(t, 1);
            r.buffer().put(Blocks.payload(1, LEN).limit(PAGE)); // half a value, then the client vanished
            assertThat(t.reserve(Blocks.meta(2, LEN)).outcome()).as("only 2 pages left").isEqualTo(PutOutcome.NO_CAPACITY);
            r.abort();
            r.abort();
            assertThat(t.usedBytes()).isEqualTo(used);
            assertThat(t.stats().details()).containsEntry("reserved_pages", 0L).containsEntry("free_pages", 5L);
            assertThat(t.put(Blocks.meta(2, LEN), Blocks.payload(2, LEN))).isEqualTo(PutOutcome.STORED);
        }
    }

    @Test
    void refusalsAreThoseOfAPut() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 8 * PAGE, PAGE).withSegmentBytes(2 * PAGE))) {
            assertThat(t.reserve(Blocks.meta(1, LEN)).outcome()).isEqualTo(PutOutcome.TOO_LARGE);
            assertThat(t.reserve(Blocks.meta(1, LEN)).reservation()).isNull();
        }
    }

    @Test
    void aDuplicateIsFoundAtCommitAndTheReservationStaysOpen() {
        try (DramTier t = DramTier.open(DramTierConfig.of("dram", 8 * PAGE, PAGE))) {
            TierReservation r = reserve(t, 1);
            r.buffer().put(Blocks.payload(1, LEN));
            t.put(Blocks.meta(1, LEN), Blocks.payload(1, LEN));
            assertThat(r.commit(Blocks.meta(1, LEN))).isEqualTo(PutOutcome.ALREADY_PRESENT);
            assertThat(t.remove(Blocks.key(1))).isTrue();
            assertThat(r.commit(Blocks.meta(1, LEN))).isEqualTo(PutOutcome.STORED);
            assertThat(t.stats().details()).containsEntry("free_pages", 5L);
            assertThatThrownBy(() -> r.commit(Blocks.meta(1, LEN))).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> reserve(t, 2).commit(Blocks.meta(3, LEN)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void theMemoryOutlivesACloseUntilTheReservationEnds() {
        DramTier t = DramTier.open(DramTierConfig.of("dram", 8 * PAGE, PAGE));
        TierReservation r = reserve(t, 1);
        t.close();
        r.buffer().put(Blocks.payload(1, LEN)); // still mapped: the reservation pins the arena
        assertThatThrownBy(() -> r.commit(Blocks.meta(1, LEN))).isInstanceOf(TierClosedException.class);
        r.abort();
        assertThat(t.openHandlePins()).isZero();
    }

    @Test
    void aCommittedReservationSurvivesARestartAndAnOpenOneLeavesNothing(@TempDir Path dir) {
        DramTierConfig config = DramTierConfig.of("dram", 8 * PAGE, PAGE).persistedTo(dir.resolve("arena"));
        try (DramTier t = DramTier.open(config)) {
            TierReservation kept = reserve(t, 1);
            kept.buffer().put(Blocks.payload(1, LEN));
            assertThat(kept.commit(Blocks.meta(1, LEN))).isEqualTo(PutOutcome.STORED);
            TierReservation open = reserve(t, 2);
            open.buffer().put(Blocks.payload(2, LEN));
            open.abort();
        }
        try (DramTier t = DramTier.open(config)) {
            assertThat(t.blockCount()).isEqualTo(1);
            try (BlockHandle h = t.read(Blocks.key(1)).handle()) {
                assertThat(h.payload()).isEqualTo(Blocks.payload(1, LEN));
            }
            assertThat(t.contains(Blocks.key(2))).isFalse();
            assertThat(t.stats().details()).containsEntry("free_pages", 5L);
        }
    }
}
