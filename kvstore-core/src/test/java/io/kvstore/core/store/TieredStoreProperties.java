package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.core.tier.Tier;
import io.kvstore.policy.linked.LruPolicy;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random operation sequences against a reference model (the set of blocks that must or may be cached). Checks:
 * no tier exceeds its capacity; a lookup hit is readable by the following get unless deleted in between; a
 * block leaves the store only by deletion or as an eviction victim; a pinned block is never
 * evicted; bytes read equal bytes written.
 */
class TieredStoreProperties {

    enum Kind { PUT, GET, LOOKUP_GET, DELETE, PIN, UNPIN, TICK }

    record Op(Kind kind, int block, int size) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.of(Kind.class), Arbitraries.integers().between(0, 40), Arbitraries.integers().between(1, 3))
                .as((k, b, s) -> new Op(k, b, s * 500));
        return op.list().ofMinSize(1).ofMaxSize(300);
    }

    @Property(tries = 200)
    void storeKeepsItsPromises(@ForAll("ops") List<Op> ops, @ForAll @Size(min = 2, max = 2) List<@net.jqwik.api.constraints.IntRange(min = 2, max = 8) Integer> caps) {
        ManualClock clock = new ManualClock();
        Set<BlockKey> dropped = new HashSet<>();
        Map<BlockKey, Integer> written = new HashMap<>(); // key -> size of the live copy
        Map<BlockKey, Integer> pins = new HashMap<>();
        try (TieredStore store = TieredStore.builder().clock(clock)
                .listener(e -> {
                    if (e.type() == StoreEvent.Type.EVICTED) {
                        dropped.add(e.meta().key());
                        assertThat(pins.getOrDefault(e.meta().key(), 0)).as("pinned block evicted").isZero();
                    }
                })
                .tier(TierSpec.of(new HeapTier("top", caps.get(0) * 1000L), new LruPolicy<>()).withWatermarks(0.9, 0.7))
                .tier(TierSpec.of(new HeapTier("bottom", caps.get(1) * 1000L), new LruPolicy<>()))
                .build()) {
            for (Op op : ops) {
                BlockKey k = Blocks.key(op.block());
                switch (op.kind()) {
                    case PUT -> {
                        int size = written.getOrDefault(k, op.size());
                        PutResult r = store.put(Blocks.meta(op.block(), size), Blocks.payload(op.block(), size));
                        if (r.status() == PutStatus.STORED) {
                            written.put(k, size);
                            dropped.remove(k);
                        }
                    }
                    case GET -> checkGet(store, k, written);
                    case LOOKUP_GET -> {
                        LookupResult l = store.lookup(Blocks.NS, List.of(k), 1_000_000);
                        if (l.hitBlocks() == 1) {
                            assertThat(checkGet(store, k, written)).as("lookup said hit, get must hit").isTrue();
                        }
                    }
                    case DELETE -> {
                        if (store.delete(Blocks.NS, k) == PinStatus.DELETED) {
                            written.remove(k);
                            pins.remove(k);
                        }
                    }
                    case PIN -> {
                        if (store.pin(Blocks.NS, k) == PinStatus.PINNED) {
                            pins.merge(k, 1, Integer::sum);
                        }
                    }
                    case UNPIN -> {
                        if (store.unpin(Blocks.NS, k) == PinStatus.UNPINNED) {
                            pins.merge(k, -1, Integer::sum);
                        }
                    }
                    case TICK -> clock.advanceNanos(400_000);
                }
                for (Tier t : store.tiers()) {
                    assertThat(t.usedBytes()).as(t.name() + " over capacity").isLessThanOrEqualTo(t.capacityBytes());
                }
                for (BlockKey w : written.keySet()) {
                    boolean cached = store.contains(Blocks.NS, w);
                    if (!cached) {
                        assertThat(dropped).as("block lost without being evicted or deleted").contains(w);
                    }
                }
                for (Map.Entry<BlockKey, Integer> p : pins.entrySet()) {
                    if (p.getValue() > 0 && written.containsKey(p.getKey())) {
                        assertThat(store.contains(Blocks.NS, p.getKey())).as("pinned block gone").isTrue();
                    }
                }
            }
        }
    }

    private static boolean checkGet(TieredStore store, BlockKey k, Map<BlockKey, Integer> written) {
        GetResult g = store.get(Blocks.NS, k);
        if (!g.isHit()) {
            return false;
        }
        try (BlockHandle h = g.handle()) {
            long n = k.secondLong();
            ByteBuffer want = Blocks.payload(n, written.get(k));
            assertThat(h.payload()).as("bytes read back").isEqualTo(want);
        }
        return true;
    }
}
