package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.ForwardingTier;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierDropListener;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;
import io.kvstore.policy.tier.TierManagedPolicy;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads against one full store of three levels (the bottom one keeps promoted copies, like NVMe), with
 * promotions on a real bounded pool, checking the engine's invariants while it runs and once it is quiet:
 * <ul>
 *   <li>bytes read equal bytes written (every hit is compared with the payload the key was stored with);</li>
 *   <li>a pinned block, and a block leased by a lookup whose lease cannot have expired, is readable;</li>
 *   <li>a pinned block is never evicted; a block leaves the store only as a victim or by deletion;</li>
 *   <li>no tier ever holds more than its capacity;</li>
 *   <li>once quiet: every block a tier holds is known to the directory, every known block is readable, and no
 *       handle is left open.</li>
 * </ul>
 * Each thread owns the keys congruent to its index for deletes, pins and leased lookups, so "unless deleted" is
 * decidable; every thread reads and writes every key. Runs once per policy, the default included.
 */
class ConcurrentStoreStressTest {

    private static final int THREADS = 4;
    private static final int KEYS = 96;
    private static final int BLOCK = 1000;
    private static final long RUN_MILLIS = 1200;
    private static final long LEASE_NANOS = 5_000_000;

    @ParameterizedTest
    @ValueSource(strings = {"default", "lru", "fifo", "s3fifo", "sieve", "tinylfu", "gdsf", "arc"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void invariantsHoldUnderConcurrentLoad(String policy) throws Exception {
        run(policy, false);
    }

    /** The same with the victims of writes moved by two demoter threads, as in the daemon. */
    @ParameterizedTest
    @ValueSource(strings = {"default", "lru", "s3fifo"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void invariantsHoldWithBackgroundDemotion(String policy) throws Exception {
        run(policy, true);
    }

    /**
     * The same over a bottom level that evicts itself and keeps no policy state (as the daemon's NVMe level), so that
     * blocks left only there leave the directory ({@link ColdLevel}) and are found again by every operation, with a
     * thread that moves the clock on by more than the idle second and forgets idle entries all along, and one through
     * which the bottom tier drops blocks on its own (claimed, as the NVMe tier's reclaim does).
     */
    @ParameterizedTest
    @ValueSource(strings = {"default", "lru"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void invariantsHoldWhenBlocksOnlyTheColdLevelHoldsLeaveTheDirectory(String policy) throws Exception {
        run(policy, true, true);
    }

    private void run(String policy, boolean background) throws Exception {
        run(policy, background, false);
    }

    private void run(String policy, boolean background, boolean coldBottom) throws Exception {
        ManualClock clock = new ManualClock();
        AtomicLong ticks = new AtomicLong();
        List<CountingTier> tiers = List.of(new CountingTier(new HeapTier("hbm", 8 * BLOCK)),
                new CountingTier(new HeapTier("dram", 16 * BLOCK)),
                coldBottom ? new SelfEvictingTier(new HeapTier("nvme", 2L * KEYS * BLOCK))
                        : new CountingTier(new HeapTier("nvme", 40 * BLOCK)));
        Map<BlockKey, AtomicInteger> modelPins = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ThreadPoolExecutor promotions = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(64), new ThreadPoolExecutor.AbortPolicy());
        StoreEventListener listener = e -> {
            if (e.type() == StoreEvent.Type.EVICTED) {
                AtomicInteger p = modelPins.get(e.meta().key());
                if (p != null && p.get() > 0) {
                    failures.add("pinned block evicted: " + e);
                }
            }
        };
        ThreadPoolExecutor demoter = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>());
        TieredStore store = TieredStore.builder().clock(clock).listener(listener).promotions(promotions)
                .coldSweepInterval(java.time.Duration.ZERO) // the test's own thread sweeps, on its clock
                .with(b -> {
                    if (background) {
                        b.demoter(demoter, 2);
                    }
                })
                .tier(spec(tiers.get(0), policy).withWatermarks(0.9, 0.7))
                .tier(spec(tiers.get(1), policy).withWatermarks(0.95, 0.8))
                .tier((coldBottom ? TierSpec.of(tiers.get(2), new TierManagedPolicy<>())
                        : spec(tiers.get(2), policy)).withPromotedCopies(true))
                .build();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(THREADS + 1 + (coldBottom ? 2 : 0));
        AtomicLong forgotten = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        threads.add(new Thread(() -> { // capacity watcher
            try {
                while (!stop.get()) {
                    for (Tier t : tiers) {
                        if (t.usedBytes() > t.capacityBytes()) {
                            failures.add(t.name() + " holds " + t.usedBytes() + " > " + t.capacityBytes());
                        }
                    }
                    Thread.onSpinWait();
                }
            } finally {
                done.countDown();
            }
        }));
        for (int t = 0; t < THREADS; t++) {
            int me = t;
            threads.add(new Thread(() -> {
                try {
                    work(store, me, clock, ticks, modelPins, failures, stop);
                } catch (Throwable ex) {
                    failures.add("thread " + me + ": " + ex);
                } finally {
                    done.countDown();
                }
            }));
        }
        if (coldBottom) {
            threads.add(new Thread(() -> { // past the idle second, then forget what is idle
                try {
                    while (!stop.get()) {
                        clock.advance(java.time.Duration.ofMillis(1100));
                        ticks.incrementAndGet();
                        forgotten.addAndGet(store.forgetIdle());
                        LockSupport.parkNanos(2_000_000);
                    }
                } catch (Throwable ex) {
                    failures.add("sweeper: " + ex);
                } finally {
                    done.countDown();
                }
            }));
        }
        AtomicLong tierDrops = new AtomicLong();
        if (coldBottom) {
            SelfEvictingTier bottom = (SelfEvictingTier) tiers.get(2);
            threads.add(new Thread(() -> { // the bottom tier dropping blocks on its own, as a segment reclaim does
                try {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (!stop.get()) {
                        if (bottom.dropOne(Blocks.key(rnd.nextInt(KEYS)))) {
                            tierDrops.incrementAndGet();
                        }
                        LockSupport.parkNanos(200_000);
                    }
                } catch (Throwable ex) {
                    failures.add("tier dropper: " + ex);
                } finally {
                    done.countDown();
                }
            }));
        }
        threads.forEach(Thread::start);
        Thread.sleep(RUN_MILLIS);
        stop.set(true);
        assertThat(done.await(30, TimeUnit.SECONDS)).as("workers finished").isTrue();
        promotions.shutdown();
        assertThat(promotions.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        demoter.shutdown();
        assertThat(demoter.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(failures).as("failures seen while running").isEmpty();

        // quiet: every copy is known, every known block is readable and intact, no handle open
        for (Tier t : tiers) {
            t.forEach(m -> assertThat(store.info(m.key())).as("%s holds %s unknown to the directory", t.name(),
                    m.key().shortHex()).isNotNull());
        }
        int readable = 0;
        for (int k = 0; k < KEYS; k++) {
            BlockKey key = Blocks.key(k);
            if (store.info(key) != null) {
                GetResult g = store.get(Blocks.NS, key);
                assertThat(g.isHit()).as("known block %d readable (%s), ops:\n%s", k, store.info(key).tier(),
                        OPS.get(key) == null ? "" : String.join("\n", OPS.get(key))).isTrue();
                try (BlockHandle h = g.handle()) {
                    assertThat(h.payload()).isEqualTo(Blocks.payload(k, size(k)));
                }
                readable++;
            }
        }
        assertThat(readable).as("the store holds blocks at the end").isPositive();
        for (CountingTier t : tiers) {
            assertThat(t.open.get()).as("handles open on %s", t.name()).isZero();
            assertThat(((HeapTier) t.inner()).reservedBytes()).as("reserved bytes left on %s", t.name()).isZero();
        }
        assertThat(store.stats().get(0).demotedOut()).as("demotions happened").isPositive();
        if (coldBottom) {
            assertThat(forgotten.get()).as("idle entries were forgotten by the sweeps").isPositive();
            assertThat(tierDrops.get()).as("the bottom tier dropped blocks on its own").isPositive();
            assertThat(store.stats().get(2).tierDropped()).as("drops the store heard of").isPositive();
            clock.advance(java.time.Duration.ofSeconds(5));
            store.forgetIdle();
            int onlyCold = 0;
            for (int k = 0; k < KEYS; k++) {
                BlockInfo info = store.info(Blocks.key(k));
                onlyCold += info != null && info.tier().equals("nvme") && !tiers.get(0).contains(Blocks.key(k))
                        && !tiers.get(1).contains(Blocks.key(k)) ? 1 : 0;
            }
            assertThat(onlyCold).as("blocks only the cold level holds").isPositive();
            assertThat(store.entries()).as("entries: the blocks held above the cold level")
                    .isEqualTo(store.size() - onlyCold);
        }
        store.close();
    }

    private static void work(TieredStore store, int me, ManualClock clock, AtomicLong ticks,
                             Map<BlockKey, AtomicInteger> modelPins, ConcurrentLinkedQueue<String> failures,
                             AtomicBoolean stop) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        List<BlockKey> pinned = new ArrayList<>();
        while (!stop.get()) {
            int k = rnd.nextInt(KEYS);
            BlockKey key = Blocks.key(k);
            boolean mine = k % THREADS == me;
            int op = rnd.nextInt(100);
            if (op < 20) {
                store.put(Blocks.meta(k, size(k)), Blocks.payload(k, size(k)));
            } else if (op < 35) {
                reserve(store, k, mine, rnd.nextInt(5), failures);
            } else if (op < 65) {
                read(store, k, false, "get", failures);
            } else if (op < 80 && mine) {
                long before = ticks.get();
                LookupResult l = store.lookup(Blocks.NS, List.of(key), LEASE_NANOS);
                if (rnd.nextInt(4) == 0) {
                    LockSupport.parkNanos(200_000); // the GET a while after its LOOKUP, within the lease
                }
                boolean hit = read(store, k, false, "leased get", failures);
                if (l.hitBlocks() == 1 && !hit && ticks.get() == before) {
                    BlockInfo info = store.info(key);
                    failures.add("lookup hit with a live lease, then get missed: " + k + " (lookup said "
                            + l.tiers() + ", now " + (info == null ? "gone" : info.tier() + ", leased " + info.leased())
                            + ", ops " + String.join("\n", OPS.get(key)) + ")");
                }
            } else if (op < 86 && mine && pinned.size() < 3) {
                if (store.pin(Blocks.NS, key) == PinStatus.PINNED) {
                    modelPins.computeIfAbsent(key, x -> new AtomicInteger()).incrementAndGet();
                    pinned.add(key);
                    read(store, k, true, "pinned get", failures);
                }
            } else if (op < 92 && !pinned.isEmpty()) {
                BlockKey p = pinned.remove(pinned.size() - 1);
                read(store, (int) indexOf(p), true, "pinned get before unpin", failures);
                modelPins.get(p).decrementAndGet();
                store.unpin(Blocks.NS, p);
            } else if (op < 95 && mine && !pinned.contains(key)) {
                // half the time as an event loop deletes: without waiting where the copies are in memory
                if (rnd.nextBoolean() || store.tryDelete(Blocks.NS, key, t -> !t.equals("nvme")) == null) {
                    store.delete(Blocks.NS, key);
                }
            } else if (op < 97) {
                clock.advance(java.time.Duration.ofNanos(LEASE_NANOS / 4));
                ticks.incrementAndGet();
            } else {
                store.contains(Blocks.NS, key);
            }
        }
        for (BlockKey p : pinned) {
            modelPins.get(p).decrementAndGet();
            store.unpin(Blocks.NS, p);
        }
    }

    /**
     * A put through a reservation (for even keys tried first without waiting, {@code tryReserve}), ending in one of
     * five ways: published (verified, or its checksum computed),
     * aborted half-filled (a client gone mid-value), published with a damaged byte (BAD_CHECKSUM, nothing stored),
     * or, for an owned key, deleted by this thread while reserved and then published.
     */
    private static void reserve(TieredStore store, int k, boolean mine, int how,
                                ConcurrentLinkedQueue<String> failures) {
        ByteBuffer bytes = Blocks.payload(k, size(k));
        BlockMeta meta = Blocks.meta(k, size(k));
        PutReservation.Checksum mode = PutReservation.Checksum.VERIFY;
        if (how == 1) {
            meta = new BlockMeta(meta.key(), meta.parent(), meta.position(), meta.namespaceId(), meta.layoutId(),
                    meta.length(), 0); // the store computes it
            mode = PutReservation.Checksum.COMPUTE;
        }
        // half of them as an event loop takes them: at once if no wait is needed, else from a thread that may wait
        PutReservation now = k % 2 == 0 ? store.tryReserve(meta, mode) : null;
        try (PutReservation r = now != null ? now : store.reserve(meta, mode)) {
            if (r.refusal() != null) {
                if (!r.refusal().status().isCached() && r.refusal().status() != PutStatus.NO_CAPACITY
                        && r.refusal().status() != PutStatus.REJECTED) {
                    failures.add("reservation of block " + k + " refused: " + r.refusal());
                }
                return;
            }
            ByteBuffer into = r.buffer();
            int half = size(k) / 2;
            into.put(bytes.duplicate().limit(half));
            r.filled(half);
            if (how == 2) {
                return; // abandoned half-filled: close() aborts
            }
            into.put(bytes.duplicate().position(half));
            if (how == 3) {
                int at = half + 7; // after the bytes reported filled: those were checksummed as they came
                into.put(at, (byte) (into.get(at) ^ 0x5A));
                PutResult res = r.publish();
                if (res.status() != PutStatus.BAD_CHECKSUM) {
                    failures.add("damaged reservation of block " + k + " answered " + res);
                }
                return;
            }
            if (how == 4 && mine) {
                PinStatus d = store.delete(Blocks.NS, Blocks.key(k));
                if (d != PinStatus.NOT_FOUND) {
                    failures.add("delete of reserved block " + k + " answered " + d);
                }
            }
            PutResult res = r.publish();
            if (res.status() != PutStatus.STORED && res.status() != PutStatus.NO_CAPACITY) {
                failures.add("reservation of block " + k + " published as " + res);
            }
        }
    }

    /** Reads key {@code k}; a hit must carry its bytes; {@code mustHit} turns a miss into a failure. */
    private static boolean read(TieredStore store, int k, boolean mustHit, String what,
                                ConcurrentLinkedQueue<String> failures) {
        GetResult g;
        if (k % 3 == 0 && k + 2 < KEYS) { // a run of three (getAll reads each level's run together)
            List<GetResult> run = store.getAll(Blocks.NS,
                    List.of(Blocks.key(k), Blocks.key(k + 1), Blocks.key(k + 2)));
            for (int i = 1; i < 3; i++) {
                GetResult other = run.get(i);
                if (other.isHit()) {
                    try (BlockHandle h = other.handle()) {
                        if (!h.payload().equals(Blocks.payload(k + i, size(k + i)))) {
                            failures.add(what + " (getAll) read wrong bytes for block " + (k + i) + " from "
                                    + other.tier());
                        }
                    }
                }
            }
            g = run.get(0);
        } else {
            g = store.get(Blocks.NS, Blocks.key(k));
        }
        if (!g.isHit()) {
            if (mustHit) {
                failures.add(what + " missed block " + k);
            }
            return false;
        }
        try (BlockHandle h = g.handle()) {
            if (!h.payload().equals(Blocks.payload(k, size(k)))) {
                failures.add(what + " read wrong bytes for block " + k + " from " + g.tier());
            }
        }
        return true;
    }

    private static long indexOf(BlockKey key) {
        for (int k = 0; k < KEYS; k++) {
            if (Blocks.key(k).equals(key)) {
                return k;
            }
        }
        throw new IllegalArgumentException(key.toString());
    }

    /** Sizes differ by key so that victims free different amounts. */
    private static int size(int k) {
        return BLOCK / 2 + (k % 3) * BLOCK / 4;
    }

    private static TierSpec spec(Tier tier, String policy) {
        return TierSpec.of(tier, PolicyRegistry.create(policy, new PolicySpec(tier.capacityBytes(), BLOCK, 42)));
    }

    static final Map<BlockKey, java.util.Deque<String>> OPS = new ConcurrentHashMap<>();

    /**
     * A bottom tier that says it evicts itself: its level then keeps no policy state and the store forgets the blocks
     * only it holds. Its capacity holds every key of the test, so it never needs room; it drops blocks on its own when
     * asked ({@link #dropOne}), as the NVMe tier's segment reclaim does: the drop claimed from the store and the block
     * removed in one step under the tier's lock, in order with {@link #confirm}, then reported.
     */
    static final class SelfEvictingTier extends CountingTier {
        private volatile TierDropListener listener = TierDropListener.NONE;

        SelfEvictingTier(Tier tier) {
            super(tier);
        }

        @Override
        public boolean evictsItself() {
            return true;
        }

        @Override
        public void dropListener(TierDropListener l) {
            this.listener = l;
        }

        @Override
        public synchronized boolean confirm(BlockKey key) {
            return tier.contains(key);
        }

        /** Drops {@code key} if the tier holds it and the store lets it go; true if it did. */
        boolean dropOne(BlockKey key) {
            BlockMeta meta;
            synchronized (this) {
                meta = tier.meta(key).orElse(null);
                if (meta == null || !listener.claimDrop(key)) {
                    return false;
                }
                remove(key);
            }
            listener.dropped(meta);
            return true;
        }
    }

    static void log(String tier, String op, BlockKey key) {
        StringBuilder sb = new StringBuilder(tier + " " + op + " by " + Thread.currentThread().getName() + ":");
        int n = 0;
        for (StackTraceElement f : new Throwable().getStackTrace()) {
            if (f.getClassName().startsWith("io.kvstore.core.store") && !f.getClassName().contains("Stress") && n++ < 5) {
                sb.append(' ').append(f.getMethodName()).append(':').append(f.getLineNumber());
            }
        }
        java.util.Deque<String> d = OPS.computeIfAbsent(key, k -> new java.util.concurrent.ConcurrentLinkedDeque<>());
        d.addLast(sb.toString());
        while (d.size() > 14) {
            d.pollFirst();
        }
    }

    /** Counts the handles its reads hand out that are still open. */
    static class CountingTier extends ForwardingTier {
        final AtomicInteger open = new AtomicInteger();

        CountingTier(Tier tier) {
            super(tier);
        }

        Tier inner() {
            return tier;
        }

        @Override
        public io.kvstore.core.tier.PutOutcome put(BlockMeta meta, ByteBuffer payload) {
            io.kvstore.core.tier.PutOutcome o = tier.put(meta, payload);
            log(name(), "put " + o, meta.key());
            return o;
        }

        @Override
        public io.kvstore.core.tier.TierReservation.Attempt reserve(BlockMeta meta) {
            io.kvstore.core.tier.TierReservation.Attempt a = tier.reserve(meta);
            log(name(), "reserve " + a.outcome(), meta.key());
            return a;
        }

        @Override
        public boolean reservesInPlace() {
            return tier.reservesInPlace();
        }

        @Override
        public boolean remove(BlockKey key) {
            boolean r = tier.remove(key);
            log(name(), "remove " + r, key);
            return r;
        }

        @Override
        public List<ReadResult> readAll(List<BlockKey> keys) { // through read: every handle counted
            List<ReadResult> out = new ArrayList<>(keys.size());
            for (BlockKey k : keys) {
                out.add(read(k));
            }
            return out;
        }

        @Override
        public ReadResult read(BlockKey key) {
            ReadResult r = tier.read(key);
            if (!r.isHit()) {
                return r;
            }
            return ReadResult.hit(counted(r.handle()));
        }

        /** {@code inner}, counted in {@code open} until closed; a retained handle is counted too. */
        private BlockHandle counted(BlockHandle inner) {
            open.incrementAndGet();
            return new BlockHandle() {
                private final AtomicBoolean closed = new AtomicBoolean();

                @Override
                public BlockMeta meta() {
                    return inner.meta();
                }

                @Override
                public ByteBuffer payload() {
                    return inner.payload();
                }

                @Override
                public BlockHandle retain() {
                    return counted(inner.retain());
                }

                @Override
                public boolean isOpen() {
                    return !closed.get();
                }

                @Override
                public void close() {
                    if (closed.compareAndSet(false, true)) {
                        open.decrementAndGet();
                        inner.close();
                    }
                }
            };
        }
    }
}
