package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.LevelStats;
import io.kvstore.core.store.LookupResult;
import io.kvstore.core.store.PinStatus;
import io.kvstore.core.store.PutResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.StoreEvent;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.policy.linked.LruPolicy;
import io.kvstore.policy.tier.TierManagedPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cold level (the engine's {@code ColdLevel}): a block whose only copy is on an NVMe tier that evicts itself leaves
 * the store's directory while nothing holds it, and every operation still finds it through the tier's index: lookup
 * (with and without a lease), get, put (ALREADY_PRESENT, NAMESPACE_CONFLICT), delete, pin, info and the block
 * listing, the count of blocks, a reopened store, and the tier's own drops (counted and reported as evictions).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NvmeColdLevelTest {

    static final int BLOCK = 64 << 10;
    static final int N = 40;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final ConcurrentLinkedQueue<StoreEvent> events = new ConcurrentLinkedQueue<>();

    private NvmeTier nvme(long capacity) {
        return NvmeTier.open(NvmeTierConfig.builder(dir.resolve("db"), capacity).segmentBytes(1 << 20)
                .evictsItself(true).build());
    }

    private TieredStore store(NvmeTier nvme) {
        return TieredStore.builder().clock(clock).listener(events::add).coldSweepInterval(Duration.ZERO)
                .tier(TierSpec.of(new HeapTier("dram", 8L * BLOCK), new LruPolicy<>()))
                .tier(TierSpec.of(nvme, new TierManagedPolicy<>())).build();
    }

    private static List<BlockKey> keys(int n) {
        List<BlockKey> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Blocks.key(i));
        }
        return out;
    }

    /** Puts blocks 0..n-1 of one chain and moves all of them down to NVMe. */
    private static void fillCold(TieredStore store, int n) {
        for (int i = 0; i < n; i++) {
            assertThat(store.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK)).status()).isEqualTo(PutStatus.STORED);
        }
        store.drain("dram");
    }

    private static void assertReads(TieredStore store, int i) {
        GetResult r = store.get(Blocks.NS, Blocks.key(i));
        assertThat(r.isHit()).as("get %d", i).isTrue();
        try (BlockHandle h = r.handle()) {
            assertThat(h.payload()).as("bytes of %d", i).isEqualTo(Blocks.payload(i, BLOCK));
        }
    }

    @Test
    void blocksMovedToTheColdLevelLeaveTheDirectoryAndStayCached() {
        try (TieredStore store = store(nvme(64L << 20))) {
            fillCold(store, N);
            assertThat(store.entries()).as("no entry for a block only NVMe holds").isZero();
            assertThat(store.size()).isEqualTo(N);
            for (int i = 0; i < N; i++) {
                assertThat(store.contains(Blocks.NS, Blocks.key(i))).isTrue();
                assertThat(store.cachedLength(Blocks.NS, Blocks.key(i))).isEqualTo(BLOCK);
                assertThat(store.info(Blocks.key(i)).tier()).isEqualTo("nvme");
            }
            assertThat(store.contains(Blocks.NS + 1, Blocks.key(3))).as("another namespace").isFalse();

            LookupResult plain = store.lookup(Blocks.NS, keys(N + 5), 0);
            assertThat(plain.hitBlocks()).isEqualTo(N);
            assertThat(plain.tiers()).containsOnly("nvme");
            assertThat(store.entries()).as("a lookup without a lease makes no entry").isZero();

            LookupResult leased = store.lookup(Blocks.NS, keys(N), TimeUnit.SECONDS.toNanos(30));
            assertThat(leased.hitBlocks()).isEqualTo(N);
            assertThat(store.entries()).as("the leases live on entries").isEqualTo(N);
            clock.advance(Duration.ofSeconds(2));
            assertThat(store.forgetIdle()).as("leased: kept").isZero();
            clock.advance(Duration.ofSeconds(30));
            assertThat(store.forgetIdle()).as("lease over, idle a second").isEqualTo(N);
            assertThat(store.entries()).isZero();

            for (int i = 0; i < N; i++) {
                assertReads(store, i);
            }
            clock.advance(Duration.ofSeconds(2));
            store.forgetIdle();
            long inDram = store.tiers().get(0).blockCount();
            assertThat(inDram).as("hits were promoted").isPositive();
            assertThat(store.entries()).as("entries left: the blocks DRAM holds").isEqualTo((int) inDram);
            assertThat(store.size()).isEqualTo(N);

            Map<String, Long> byTier = store.blocks(b -> true, Integer.MAX_VALUE).stream()
                    .collect(Collectors.groupingBy(BlockInfo::tier, Collectors.counting()));
            assertThat(byTier.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(N);
            assertThat(store.blocks(b -> true, 5)).hasSize(5);
        }
    }

    @Test
    void aPutOfAForgottenBlockIsAlreadyPresentAndFromAnotherNamespaceAConflict() {
        try (TieredStore store = store(nvme(64L << 20))) {
            fillCold(store, N);
            PutResult again = store.put(Blocks.meta(7, BLOCK), Blocks.payload(7, BLOCK));
            assertThat(again.status()).isEqualTo(PutStatus.ALREADY_PRESENT);
            assertThat(again.tier()).isEqualTo("nvme");
            assertThat(store.put(Blocks.meta(Blocks.NS + 1, 7, BLOCK), Blocks.payload(7, BLOCK)).status())
                    .isEqualTo(PutStatus.NAMESPACE_CONFLICT);
            assertThat(store.tiers().get(0).blockCount()).as("no second copy written above").isZero();
            assertThat(store.entries()).isZero();
            assertThat(store.size()).isEqualTo(N);
        }
    }

    @Test
    void deletePinAndUnpinReachForgottenBlocks() {
        try (TieredStore store = store(nvme(64L << 20))) {
            fillCold(store, N);
            assertThat(store.delete(Blocks.NS + 1, Blocks.key(5))).isEqualTo(PinStatus.NOT_FOUND);
            assertThat(store.delete(Blocks.NS, Blocks.key(5))).isEqualTo(PinStatus.DELETED);
            assertThat(store.contains(Blocks.NS, Blocks.key(5))).isFalse();
            assertThat(store.get(Blocks.NS, Blocks.key(5)).isHit()).isFalse();
            assertThat(store.lookup(Blocks.NS, keys(N), 0).hitBlocks()).isEqualTo(5);
            assertThat(store.tiers().get(1).contains(Blocks.key(5))).as("gone from the tier too").isFalse();
            assertThat(store.size()).isEqualTo(N - 1);
            assertThat(events).anyMatch(e -> e.type() == StoreEvent.Type.DELETED && e.meta().key().equals(Blocks.key(5)));

            assertThat(store.unpin(Blocks.NS, Blocks.key(6))).isEqualTo(PinStatus.NOT_PINNED);
            assertThat(store.pin(Blocks.NS, Blocks.key(6))).isEqualTo(PinStatus.PINNED);
            clock.advance(Duration.ofSeconds(5));
            store.forgetIdle();
            assertThat(store.info(Blocks.key(6)).pins()).as("a pinned block keeps its entry").isEqualTo(1);
            assertThat(store.unpin(Blocks.NS, Blocks.key(6))).isEqualTo(PinStatus.UNPINNED);
            clock.advance(Duration.ofSeconds(5));
            assertThat(store.forgetIdle()).isGreaterThanOrEqualTo(1);
            assertThat(store.entries()).isZero();
            assertThat(store.deleteUnpinned(Blocks.NS, Blocks.key(6))).isEqualTo(PinStatus.DELETED);
            assertThat(store.size()).isEqualTo(N - 2);
        }
    }

    @Test
    void aReopenedStoreMakesNoEntryForBlocksOnlyTheColdLevelHolds() {
        try (TieredStore store = store(nvme(64L << 20))) {
            fillCold(store, N);
        }
        try (TieredStore store = store(nvme(64L << 20))) {
            assertThat(store.orphansDropped()).isZero();
            assertThat(store.entries()).isZero();
            assertThat(store.size()).isEqualTo(N);
            assertThat(store.lookup(Blocks.NS, keys(N), 0).hitBlocks()).isEqualTo(N);
            assertReads(store, 0);
            // a block put now whose parent only the cold level holds shares the key object of the tier's record
            BlockMeta next = Blocks.meta(N, BLOCK);
            assertThat(store.put(next, Blocks.payload(N, BLOCK)).status()).isEqualTo(PutStatus.STORED);
            assertThat(store.info(next.key()).meta().parent())
                    .isSameAs(store.tiers().get(1).meta(Blocks.key(N - 1)).orElseThrow().key());
        }
    }

    @Test
    void theTiersDropsOfForgottenBlocksAreCountedAndReportedAsEvictions() {
        NvmeTier nvme = nvme(8L << 20); // 128 blocks of 64 KiB: writing 400 makes the tier reclaim
        int n = 400;
        try (TieredStore store = store(nvme)) {
            for (int i = 0; i < n; i++) {
                assertThat(store.put(Blocks.meta(i, BLOCK), Blocks.payload(i, BLOCK)).status())
                        .isEqualTo(PutStatus.STORED);
            }
            store.drain("dram");
            long dropped = nvme.stats().details().get("dropped_blocks");
            assertThat(dropped).as("the tier reclaimed segments").isPositive();
            LevelStats level = store.stats().get(1);
            assertThat(level.tierDropped()).isEqualTo(dropped);
            assertThat(level.evicted()).isEqualTo(dropped);
            assertThat(events.stream().filter(e -> e.type() == StoreEvent.Type.EVICTED && "nvme".equals(e.tier())))
                    .hasSize((int) dropped);
            assertThat(store.size()).isEqualTo((int) nvme.blockCount());
            assertThat(store.entries()).isZero();
            // what a lookup finds, a get reads
            LookupResult found = store.lookup(Blocks.NS, keys(n), TimeUnit.SECONDS.toNanos(30));
            AtomicReference<Integer> first = new AtomicReference<>();
            for (int i = 0; i < n; i++) {
                if (nvme.contains(Blocks.key(i))) {
                    first.compareAndSet(null, i);
                }
            }
            assertThat(found.hitBlocks()).as("the chain's head was reclaimed first").isZero();
            assertReads(store, first.get());
        }
    }
}
