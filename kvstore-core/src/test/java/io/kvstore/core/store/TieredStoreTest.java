package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.ForwardingTier;
import io.kvstore.core.tier.MetadataOnlyTier;
import io.kvstore.core.tier.Tier;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.linked.LruPolicy;
import io.kvstore.policy.prefix.AdaptivePrefixPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TieredStoreTest {

    static final int B = 1000;
    final ManualClock clock = new ManualClock();
    final List<StoreEvent> events = new ArrayList<>();
    TieredStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    TieredStore twoTiers(int topBlocks, int bottomBlocks) {
        store = TieredStore.builder().clock(clock).listener(events::add)
                .tier(TierSpec.of(new HeapTier("dram", (long) topBlocks * B), new LruPolicy<>()))
                .tier(TierSpec.of(new HeapTier("nvme", (long) bottomBlocks * B), new LruPolicy<>()))
                .build();
        return store;
    }

    PutResult put(long n) {
        return store.put(Blocks.meta(n, B), Blocks.payload(n, B));
    }

    List<BlockKey> keys(int from, int to) {
        List<BlockKey> ks = new ArrayList<>();
        for (int i = from; i < to; i++) {
            ks.add(Blocks.key(i));
        }
        return ks;
    }

    /**
     * The default policy refuses a block whose parent it dropped, but a parent demoted to the level below was
     * dropped only here: its child is still admitted (the store tells the policy the parent is cached elsewhere).
     */
    @Test
    void aChildWhoseParentWasDemotedIsStillAdmittedAtTheTop() {
        store = TieredStore.builder().clock(clock)
                .tier(TierSpec.of(new HeapTier("dram", 2L * B), new AdaptivePrefixPolicy<>(new PolicySpec(2L * B, B, 1))))
                .tier(TierSpec.of(new HeapTier("nvme", 8L * B), new AdaptivePrefixPolicy<>(new PolicySpec(8L * B, B, 1))))
                .build();
        put(0);
        put(1);
        put(100); // another chain: the leaf 1, then 0, go down to nvme
        clock.advance(Duration.ofMillis(1));
        put(101);
        assertThat(store.info(Blocks.key(1)).tier()).isEqualTo("nvme");
        assertThat(put(2).status()).isEqualTo(PutStatus.STORED);
        assertThat(store.info(Blocks.key(2)).tier()).as("child of a block demoted to nvme").isEqualTo("dram");
    }

    @Test
    void putGetRoundTripAndPrefixLookup() {
        twoTiers(10, 10);
        for (int i = 0; i < 5; i++) {
            assertThat(put(i).status()).isEqualTo(PutStatus.STORED);
        }
        assertThat(put(2).status()).isEqualTo(PutStatus.ALREADY_PRESENT);
        LookupResult l = store.lookup(Blocks.NS, keys(0, 8), 0);
        assertThat(l.hitBlocks()).isEqualTo(5);
        assertThat(l.tiers()).containsOnly("dram");
        GetResult g = store.get(Blocks.NS, Blocks.key(3));
        try (BlockHandle h = g.handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(3, B));
            assertThat(g.tier()).isEqualTo("dram");
        }
        assertThat(store.get(Blocks.NS, Blocks.key(42)).isHit()).isFalse();
    }

    @Test
    void partialFlagReachesThePolicyAndFollowsADemotion() {
        List<io.kvstore.policy.Candidate<BlockKey>> offered = new ArrayList<>();
        class Recording implements io.kvstore.policy.EvictionPolicy<BlockKey> {
            final LruPolicy<BlockKey> lru = new LruPolicy<>();

            @Override
            public String name() {
                return "recording";
            }

            @Override
            public boolean admit(io.kvstore.policy.Candidate<BlockKey> c) {
                offered.add(c);
                return lru.admit(c);
            }

            @Override
            public void onHit(BlockKey key) {
                lru.onHit(key);
            }

            @Override
            public void onRemove(BlockKey key) {
                lru.onRemove(key);
            }

            @Override
            public List<BlockKey> evict(long bytes, java.util.function.Predicate<? super BlockKey> evictable) {
                return lru.evict(bytes, evictable);
            }

            @Override
            public boolean contains(BlockKey key) {
                return lru.contains(key);
            }

            @Override
            public int size() {
                return lru.size();
            }

            @Override
            public long weightedSize() {
                return lru.weightedSize();
            }
        }
        store = TieredStore.builder().clock(clock)
                .tier(TierSpec.of(new HeapTier("dram", B), new Recording()))
                .tier(TierSpec.of(new HeapTier("nvme", 4L * B), new Recording()))
                .build();
        assertThat(store.put(Blocks.meta(0, B), Blocks.payload(0, B), false, true).status())
                .isEqualTo(PutStatus.STORED);
        put(1); // demotes block 0 to nvme
        assertThat(offered).extracting(io.kvstore.policy.Candidate::partial).containsExactly(true, false, true);
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("nvme");
    }

    @Test
    void aBlockSharesItsParentsKeyObjectWithTheParentsEntry() {
        twoTiers(10, 10);
        put(0);
        put(1); // its meta's parent is a key equal to block 0's, but another object (as a client sends it)
        BlockMeta parent = store.info(Blocks.key(0)).meta();
        BlockMeta child = store.info(Blocks.key(1)).meta();
        assertThat(child.parent()).isSameAs(parent.key());
        assertThat(store.info(Blocks.key(0)).meta().parent()).as("no parent cached: kept as sent")
                .isEqualTo(Blocks.key(-1));
    }

    @Test
    void theBlocksThatStartAChainShareTheirNamespacesRootObject() {
        twoTiers(10, 10);
        BlockKey root = Blocks.key(-1);
        for (int i = 0; i < 3; i++) { // three one-block chains, each root a copy, as a client sends it
            BlockKey k = BlockKey.synthetic(77, i);
            ByteBuffer p = Blocks.payload(i, B);
            assertThat(store.put(new BlockMeta(k, BlockKey.of(root.toBytes()), 0, 1, 7, B, Checksums.crc32c(p)), p)
                    .status()).isEqualTo(PutStatus.STORED);
        }
        BlockKey other = BlockKey.synthetic(78, 0);
        ByteBuffer p = Blocks.payload(9, B);
        store.put(new BlockMeta(other, BlockKey.of(root.toBytes()), 0, 2, 7, B, Checksums.crc32c(p)), p);
        BlockKey shared = store.info(BlockKey.synthetic(77, 0)).meta().parent();
        assertThat(store.info(BlockKey.synthetic(77, 1)).meta().parent()).isSameAs(shared);
        assertThat(store.info(BlockKey.synthetic(77, 2)).meta().parent()).isSameAs(shared);
        assertThat(store.info(other).meta().parent()).as("another namespace: its own root")
                .isEqualTo(root).isNotSameAs(shared);
    }

    @Test
    void lookupStopsAtTheFirstMiss() {
        twoTiers(10, 10);
        put(0);
        put(2);
        assertThat(store.lookup(Blocks.NS, keys(0, 3), 0).hitBlocks()).isEqualTo(1);
    }

    @Test
    void overflowDemotesToTheNextTierThenDrops() {
        twoTiers(3, 3);
        for (int i = 0; i < 8; i++) {
            assertThat(put(i).status()).isEqualTo(PutStatus.STORED);
        }
        // LRU: 0,1 dropped from the bottom; 2,3,4 demoted; 5,6,7 on top
        assertThat(store.lookup(Blocks.NS, keys(0, 1), 0).hitBlocks()).isZero();
        assertThat(store.lookup(Blocks.NS, keys(2, 8), 0).tiers())
                .containsExactly("nvme", "nvme", "nvme", "dram", "dram", "dram");
        try (BlockHandle h = store.get(Blocks.NS, Blocks.key(2)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(2, B));
        }
        assertThat(events).extracting(StoreEvent::type).contains(StoreEvent.Type.DEMOTED, StoreEvent.Type.EVICTED);
        StoreEvent evicted = events.stream().filter(e -> e.type() == StoreEvent.Type.EVICTED).findFirst().orElseThrow();
        assertThat(evicted.policy()).isEqualTo("lru");
        assertThat(evicted.tier()).isEqualTo("nvme");
        assertThat(store.stats().get(0).demotedOut()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void hitInALowerTierIsPromoted() {
        twoTiers(2, 5);
        put(0);
        put(1);
        put(2); // demotes 0
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("nvme");
        try (BlockHandle h = store.get(Blocks.NS, Blocks.key(0)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(0, B));
        }
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("dram");
        assertThat(store.size()).isEqualTo(3);
        assertThat(store.tiers().get(0).usedBytes()).isLessThanOrEqualTo(2L * B);
    }

    @Test
    void aTiersEvictionAgeIsHowLongItsVictimsSatUnread() {
        twoTiers(2, 10);
        assertThat(store.stats().get(0).evictionAgeNanos()).as("no victim yet").isEqualTo(Long.MAX_VALUE);
        put(0);
        clock.advance(Duration.ofSeconds(1));
        put(1);
        clock.advance(Duration.ofSeconds(1));
        put(2); // demotes 0, unread for 2 s
        assertThat(store.stats().get(0).evictionAgeNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
        clock.advance(Duration.ofSeconds(1));
        store.get(Blocks.NS, Blocks.key(2)).handle().close(); // read: 1 is now the least recently used
        put(3); // demotes 1, unread for 2 s as well
        assertThat(store.stats().get(0).evictionAgeNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
        clock.advance(Duration.ofSeconds(16));
        put(4); // demotes 2, unread for 16 s: the mean moves 1/16 of the way, to 2.875 s
        assertThat(store.stats().get(0).evictionAgeNanos()).isEqualTo(Duration.ofMillis(2875).toNanos());
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // the old code spun, deaf to interrupts
    void aQueuedPromotionDoesNotHoldItsBlockSoARePutOfTheKeyGoesAheadAndThePromotionGivesUp() {
        List<Runnable> queued = new ArrayList<>();
        store = TieredStore.builder().clock(clock).listener(events::add).promotions(queued::add)
                .tier(TierSpec.of(new HeapTier("dram", 2L * B), new LruPolicy<>()))
                .tier(TierSpec.of(new HeapTier("nvme", 10L * B), new LruPolicy<>()))
                .build();
        put(0);
        put(1);
        put(2); // demotes 0
        store.get(Blocks.NS, Blocks.key(0)).handle().close(); // a hit in nvme: its promotion waits in the queue
        assertThat(queued).hasSize(1);
        assertThat(store.delete(Blocks.NS, Blocks.key(0))).isEqualTo(PinStatus.DELETED);
        // before: the queued promotion held the deleted entry, and this put waited for the queue to run it
        assertThat(put(0).status()).isEqualTo(PutStatus.STORED);
        queued.get(0).run(); // the promotion finds its block removed and gives up
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("dram");
        assertThat(store.tiers().get(1).contains(Blocks.key(0))).as("no copy left behind by the old promotion")
                .isFalse();
        try (BlockHandle h = store.get(Blocks.NS, Blocks.key(0)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(0, B));
        }
    }

    @Test
    void getIfReadsNothingFromALevelTheCallerMayNotRead() {
        twoTiers(2, 5);
        put(0);
        LookupResult l = store.lookup(Blocks.NS, keys(0, 1), 0);
        assertThat(l.tiers()).containsExactly("dram"); // what an event loop sees before it streams the block
        put(1);
        put(2); // demotes 0 after the lookup
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("nvme");
        GetResult onLoop = store.getIf(Blocks.NS, Blocks.key(0), "dram"::equals);
        assertThat(onLoop.elsewhere()).isTrue();
        assertThat(onLoop.isHit()).isFalse();
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("nvme"); // not read, so not promoted either
        try (BlockHandle h = store.getIf(Blocks.NS, Blocks.key(2), "dram"::equals).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(2, B)); // a block still in memory reads as before
        }
        try (BlockHandle h = store.get(Blocks.NS, Blocks.key(0)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(0, B)); // where I/O may wait: read and promoted
        }
        GetResult miss = store.getIf(Blocks.NS, Blocks.key(42), "dram"::equals);
        assertThat(miss.elsewhere()).isFalse();
        assertThat(miss.isHit()).isFalse();
    }

    @Test
    void getAllReadsRunsOfOneLevelTogetherAndAnswersEveryKeyInOrder() {
        List<List<BlockKey>> batches = new ArrayList<>();
        List<Runnable> promotions = new ArrayList<>(); // run at the end: the levels stay as they are meanwhile
        store = TieredStore.builder().clock(clock).promotions(promotions::add)
                .tier(TierSpec.of(new HeapTier("dram", 3L * B), new LruPolicy<>()))
                .tier(TierSpec.of(new ForwardingTier(new HeapTier("nvme", 20L * B)) {
                    @Override
                    public List<ReadResult> readAll(List<BlockKey> keys) {
                        batches.add(List.copyOf(keys));
                        return super.readAll(keys);
                    }
                }, new LruPolicy<>()))
                .build();
        for (int i = 0; i < 8; i++) {
            put(i); // 0-4 demoted, 5-7 in DRAM
        }
        List<BlockKey> keys = new ArrayList<>(keys(0, 8));
        keys.add(3, Blocks.key(42)); // a miss in the middle
        List<GetResult> got = store.getAll(Blocks.NS, keys);
        try {
            assertThat(got).hasSize(9);
            List<Integer> blocks = List.of(0, 1, 2, -1, 3, 4, 5, 6, 7);
            for (int i = 0; i < 9; i++) {
                if (blocks.get(i) < 0) {
                    assertThat(got.get(i).isHit()).isFalse();
                } else {
                    assertThat(got.get(i).handle().payload()).isEqualTo(Blocks.payload(blocks.get(i), B));
                }
            }
            assertThat(got.get(0).tier()).isEqualTo("nvme");
            assertThat(got.get(8).tier()).isEqualTo("dram");
        } finally {
            got.stream().filter(GetResult::isHit).forEach(g -> g.handle().close());
        }
        assertThat(batches).containsExactly(keys(0, 3), keys(3, 5)); // the runs in NVMe, each read in one call
        assertThat(promotions).hasSize(5); // every NVMe hit earned its promotion, as get's would
        promotions.forEach(Runnable::run);
    }

    @Test
    void pinnedBlocksStayAndLeasesExpire() {
        twoTiers(2, 1);
        put(0);
        assertThat(store.pin(Blocks.NS, Blocks.key(0))).isEqualTo(PinStatus.PINNED);
        store.lookup(Blocks.NS, keys(0, 0), 0);
        put(1);
        store.lookup(Blocks.NS, List.of(Blocks.key(1)), Duration.ofSeconds(1).toNanos());
        put(2); // nothing evictable on top: goes below
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("dram");
        assertThat(store.info(Blocks.key(1)).tier()).isEqualTo("dram");
        assertThat(store.info(Blocks.key(2)).tier()).isEqualTo("nvme");
        clock.advance(Duration.ofSeconds(2));
        put(3); // lease over: 1 may go now
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("dram");
        assertThat(store.info(Blocks.key(1)).tier()).isEqualTo("nvme");
        assertThat(store.unpin(Blocks.NS, Blocks.key(0))).isEqualTo(PinStatus.UNPINNED);
        assertThat(store.unpin(Blocks.NS, Blocks.key(0))).isEqualTo(PinStatus.NOT_PINNED);
    }

    @Test
    void namespacesAreIsolatedEvenWithKnownKeys() {
        twoTiers(5, 5);
        put(0);
        long other = Blocks.NS + 1;
        assertThat(store.lookup(other, keys(0, 1), 0).hitBlocks()).isZero();
        assertThat(store.get(other, Blocks.key(0)).isHit()).isFalse();
        assertThat(store.pin(other, Blocks.key(0))).isEqualTo(PinStatus.NOT_FOUND);
        assertThat(store.delete(other, Blocks.key(0))).isEqualTo(PinStatus.NOT_FOUND);
        BlockMeta forged = Blocks.meta(other, 0, B);
        assertThat(store.put(forged, Blocks.payload(0, B)).status()).isEqualTo(PutStatus.NAMESPACE_CONFLICT);
        try (BlockHandle h = store.get(Blocks.NS, Blocks.key(0)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(0, B));
        }
    }

    @Test
    void badChecksumIsRefusedAndCorruptionIsAMiss() {
        twoTiers(5, 5);
        assertThat(store.put(Blocks.meta(0, B), Blocks.payload(1, B)).status()).isEqualTo(PutStatus.BAD_CHECKSUM);
        put(1);
        ((HeapTier) store.tiers().get(0)).damage(Blocks.key(1), 17);
        assertThat(store.get(Blocks.NS, Blocks.key(1)).isHit()).isFalse();
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        assertThat(store.stats().get(0).corrupt()).isEqualTo(1);
    }

    @Test
    void deleteRemovesEvenPinned() {
        twoTiers(5, 5);
        put(0);
        store.pin(Blocks.NS, Blocks.key(0));
        assertThat(store.delete(Blocks.NS, Blocks.key(0))).isEqualTo(PinStatus.DELETED);
        assertThat(store.contains(Blocks.NS, Blocks.key(0))).isFalse();
        assertThat(store.tiers().get(0).blockCount()).isZero();
    }

    /** An event loop's delete: done where every copy is in a tier it may touch, else nothing changed. */
    @Test
    void tryDeleteRemovesABlockHeldOnlyInTheTiersAskedForAndLeavesTheOthers() {
        twoTiers(1, 5);
        put(0);
        put(1); // demotes block 0 to nvme
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("nvme");
        java.util.function.Predicate<String> dram = "dram"::equals;
        assertThat(store.tryDelete(Blocks.NS, Blocks.key(0), dram)).isNull();
        assertThat(store.contains(Blocks.NS, Blocks.key(0))).isTrue();
        assertThat(store.tryDelete(Blocks.NS, Blocks.key(1), dram)).isEqualTo(PinStatus.DELETED);
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        assertThat(store.tiers().get(0).blockCount()).isZero();
        assertThat(store.tryDelete(Blocks.NS, Blocks.key(1), dram)).isEqualTo(PinStatus.NOT_FOUND);
        long demoted = store.stats().get(0).demotedOut();
        put(2); // the policy no longer holds block 1: the room is free, nothing is demoted
        assertThat(store.stats().get(0).demotedOut()).isEqualTo(demoted);
        assertThat(store.tryDelete(Blocks.NS, Blocks.key(0), t -> true)).isEqualTo(PinStatus.DELETED);
        assertThat(events).filteredOn(e -> e.type() == StoreEvent.Type.DELETED).hasSize(2);
    }

    @Test
    void deleteUnpinnedKeepsPinned() {
        twoTiers(5, 5);
        put(0);
        put(1);
        store.pin(Blocks.NS, Blocks.key(0));
        assertThat(store.deleteUnpinned(Blocks.NS, Blocks.key(0))).isEqualTo(PinStatus.PINNED);
        assertThat(store.deleteUnpinned(Blocks.NS, Blocks.key(1))).isEqualTo(PinStatus.DELETED);
        assertThat(store.deleteUnpinned(Blocks.NS, Blocks.key(1))).isEqualTo(PinStatus.NOT_FOUND);
        assertThat(store.contains(Blocks.NS, Blocks.key(0))).isTrue();
        assertThat(store.contains(Blocks.NS, Blocks.key(1))).isFalse();
        assertThat(events).filteredOn(e -> e.type() == StoreEvent.Type.DELETED).hasSize(1);
    }

    @Test
    void tooLargeForEveryTier() {
        twoTiers(1, 1);
        assertThat(store.put(Blocks.meta(0, 2 * B), Blocks.payload(0, 2 * B)).status())
                .isEqualTo(PutStatus.TOO_LARGE);
    }

    @Test
    void rebuildsTheDirectoryFromWhatTiersHold() {
        Tier top = new HeapTier("dram", 10L * B);
        top.put(Blocks.meta(0, B), Blocks.payload(0, B));
        top.put(Blocks.meta(1, B), Blocks.payload(1, B));
        store = TieredStore.builder().tier(TierSpec.of(top, new LruPolicy<>())).build();
        assertThat(store.lookup(Blocks.NS, keys(0, 3), 0).hitBlocks()).isEqualTo(2);
    }

    @Test
    void childrenWhoseParentIsCachedNowhereAreDroppedAtOpen() {
        Tier bottom = new HeapTier("nvme", 10L * B);
        for (int i : new int[] {0, 1, 3, 4}) { // block 2 lived in a tier that did not survive
            bottom.put(Blocks.meta(i, B), Blocks.payload(i, B));
        }
        store = TieredStore.builder().tier(TierSpec.of(new HeapTier("dram", 10L * B), new LruPolicy<>()))
                .tier(TierSpec.of(bottom, new LruPolicy<>())).build();
        assertThat(store.orphansDropped()).isEqualTo(2);
        assertThat(store.lookup(Blocks.NS, keys(0, 5), 0).hitBlocks()).isEqualTo(2);
        assertThat(bottom.blockCount()).as("the orphans' bytes are gone too").isEqualTo(2);
    }

    @Test
    void aPromotionOutOfATierThatKeepsCopiesLeavesTheCopyAndTheDemotionBackWritesNothing() {
        store = TieredStore.builder().clock(clock).listener(events::add)
                .tier(TierSpec.of(new HeapTier("dram", 2L * B), new LruPolicy<>()))
                .tier(TierSpec.of(new HeapTier("nvme", 10L * B), new LruPolicy<>()).withPromotedCopies(true))
                .build();
        put(0);
        put(1);
        put(2); // demotes 0 (a write to nvme)
        long written = store.stats().get(1).bytesWritten();
        store.get(Blocks.NS, Blocks.key(0)).handle().close(); // promoted, copy kept
        assertThat(store.info(Blocks.key(0)).tier()).isEqualTo("dram");
        assertThat(store.tiers().get(1).contains(Blocks.key(0))).isTrue();
        put(3);
        put(4); // 0 is a victim again: onto its clean copy
        assertThat(store.stats().get(0).cleanDemotions()).isPositive();
        assertThat(store.stats().get(1).demotedInBytes() - written)
                .as("only the other victims were written").isLessThanOrEqualTo(2L * B);
        try (BlockHandle h = store.get(Blocks.NS, Blocks.key(0)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(0, B));
        }
    }

    /**
     * Promotions out of a tier that keeps copies go on only while the copies are read above: a scan that reads each
     * NVMe block once is promoted for one window and then one hit in sixteen; once the promoted copies are read
     * again above, every hit is promoted again.
     */
    @Test
    void promotionsWhoseCopiesAreNotReadAboveAreThrottledAndComeBack() {
        store = TieredStore.builder().clock(clock)
                .tier(TierSpec.of(new HeapTier("dram", 4L * B), new LruPolicy<>()))
                .tier(TierSpec.of(new HeapTier("nvme", 3000L * B), new LruPolicy<>()).withPromotedCopies(true))
                .build();
        int n = 2000;
        for (int i = 0; i < n; i++) {
            put(i);
        }
        for (int i = 0; i < n - 4; i++) { // a scan: each block read once, from NVMe
            get(i);
        }
        LevelStats nvme = store.stats().get(1);
        LevelStats dram = store.stats().get(0);
        assertThat(dram.promotedIn()).as("one window, then one in sixteen")
                .isBetween((long) PromotionYield.WINDOW, PromotionYield.WINDOW + (n - 4L) / 16 + 1);
        assertThat(nvme.promotionsSkipped()).isGreaterThan(1500);
        long skipped = nvme.promotionsSkipped();
        for (int round = 0; round < 8; round++) { // each block read three times in a row: its copy is read twice
            for (int i = 0; i < 1000; i++) {
                get(i);
                get(i);
                get(i);
            }
        }
        long skippedLastRound = store.stats().get(1).promotionsSkipped();
        for (int i = 0; i < 1000; i++) {
            get(i);
            get(i);
            get(i);
        }
        assertThat(store.stats().get(1).promotionsSkipped()).as("every hit promoted again")
                .isEqualTo(skippedLastRound).isGreaterThan(skipped);
        assertThat(store.stats().get(1).promotedCopyHits()).isPositive();
    }

    private void get(long n) {
        GetResult g = store.get(Blocks.NS, Blocks.key(n));
        assertThat(g.isHit()).as("block %d", n).isTrue();
        g.handle().close();
    }

    @Test
    void drainMovesATiersBlocksDownAndKeepsPinnedOnes() {
        twoTiers(5, 10);
        for (int i = 0; i < 4; i++) {
            put(i);
        }
        store.pin(Blocks.NS, Blocks.key(1));
        assertThat(store.drain("dram")).isEqualTo(3);
        assertThat(store.lookup(Blocks.NS, keys(0, 4), 0).tiers()).containsExactly("nvme", "dram", "nvme", "nvme");
        assertThatThrownBy(() -> store.drain("hbm")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no tier named 'hbm'");
    }

    @Test
    void metadataOnlyModeAccountsWithoutPayloads() {
        store = TieredStore.builder()
                .tier(TierSpec.of(new MetadataOnlyTier("dram", 3L * B), new LruPolicy<>()))
                .build();
        for (int i = 0; i < 5; i++) {
            assertThat(store.put(Blocks.meta(i, B), java.nio.ByteBuffer.allocate(0), true).status())
                    .isEqualTo(PutStatus.STORED);
        }
        assertThat(store.size()).isEqualTo(3);
        assertThat(store.tiers().get(0).usedBytes()).isEqualTo(3L * B);
        GetResult hit = store.get(Blocks.NS, Blocks.key(4));
        assertThat(hit.isHit()).isTrue();
        hit.handle().close();
    }

    @Test
    void closedStoreFailsLoudly() {
        twoTiers(2, 2);
        store.close();
        store.close();
        assertThatThrownBy(() -> put(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        store = null;
    }
}
