package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two writers, two readers and an evictor on one DRAM tier, under paranoid leak detection: 3 s by default, 30 s
 * with {@code -Dkvstore.long=true}. Readers check every payload's checksum when they get it and again just
 * before they let go (memory reused under a reader would fail the second check); the evictor checks the
 * capacity; at the end every page must be accounted for and no handle leaked.
 */
class DramTierConcurrencyTest {

    static final int PAGE = 64 * 1024;
    static final int[] SIZES = {60 * 1024, 200 * 1024, 1024 * 1024 + 5}; // 1, 4 and 17 pages
    static final int KEYS = 300;
    static final long CAPACITY = 24L << 20;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void writersReadersAndEvictionStayConsistent() throws Exception {
        assertThat(System.getProperty("io.netty.leakDetection.level")).as("strictest leak detection")
                .isEqualTo("paranoid");
        long seconds = Boolean.getBoolean("kvstore.long") ? 30 : 3;
        long leaksBefore = RefCountedHandle.leaks();
        long openBefore = RefCountedHandle.open();
        BlockMeta[] metas = new BlockMeta[KEYS];
        ByteBuffer[] payloads = new ByteBuffer[KEYS];
        for (int i = 0; i < KEYS; i++) {
            int size = SIZES[i % SIZES.length];
            ByteBuffer p = Blocks.payload(i, size);
            metas[i] = new BlockMeta(Blocks.key(i), Blocks.key(i - 1), i, Blocks.NS, 7, size, Checksums.crc32c(p));
            payloads[i] = ByteBuffer.allocateDirect(size).put(p).flip();
        }
        DramTier tier = DramTier.open(DramTierConfig.of("dram", CAPACITY, PAGE));
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        LongAdder puts = new LongAdder();
        LongAdder noCapacity = new LongAdder();
        LongAdder readHits = new LongAdder();
        LongAdder reads = new LongAdder();
        LongAdder badChecksums = new LongAdder();
        LongAdder evictions = new LongAdder();
        LongAdder overCapacity = new LongAdder();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            threads.add(new Thread(guard(errors, () -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (!stop.get()) {
                    int k = rnd.nextInt(KEYS);
                    PutOutcome o = tier.put(metas[k], payloads[k]);
                    assertThat(o).isIn(PutOutcome.STORED, PutOutcome.ALREADY_PRESENT, PutOutcome.NO_CAPACITY);
                    if (o == PutOutcome.STORED) {
                        puts.increment();
                    } else if (o == PutOutcome.NO_CAPACITY) {
                        noCapacity.increment();
                    }
                }
            }), "writer-" + w));
        }
        for (int r = 0; r < 2; r++) {
            threads.add(new Thread(guard(errors, () -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (!stop.get()) {
                    int k = rnd.nextInt(KEYS);
                    reads.increment();
                    ReadResult res = tier.read(metas[k].key());
                    assertThat(res.outcome()).isIn(ReadResult.Outcome.HIT, ReadResult.Outcome.MISS);
                    if (!res.isHit()) {
                        continue;
                    }
                    readHits.increment();
                    try (BlockHandle h = res.handle()) {
                        if (!h.meta().equals(metas[k]) || !Checksums.matches(metas[k], h.payload())) {
                            badChecksums.increment();
                        }
                        BlockHandle extra = rnd.nextBoolean() ? h.retain() : null;
                        Thread.yield(); // let writers and the evictor reuse whatever they can
                        if (!Checksums.matches(metas[k], h.payload())) {
                            badChecksums.increment();
                        }
                        if (extra != null) {
                            extra.close();
                        }
                    }
                }
            }), "reader-" + r));
        }
        threads.add(new Thread(guard(errors, () -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            long high = (long) (0.8 * tier.capacityBytes());
            long low = (long) (0.5 * tier.capacityBytes());
            while (!stop.get()) {
                if (tier.usedBytes() > tier.capacityBytes()) {
                    overCapacity.increment();
                }
                if (tier.usedBytes() > high) {
                    while (tier.usedBytes() > low && !stop.get()) {
                        if (tier.remove(metas[rnd.nextInt(KEYS)].key())) {
                            evictions.increment();
                        }
                    }
                } else {
                    LockSupport.parkNanos(50_000);
                }
            }
        }), "evictor"));
        threads.forEach(Thread::start);
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        stop.set(true);
        for (Thread t : threads) {
            t.join(30_000);
            assertThat(t.isAlive()).as(t.getName() + " finished").isFalse();
        }
        System.out.printf("concurrency %ds: puts=%d noCapacity=%d reads=%d hits=%d evictions=%d stats=%s%n",
                seconds, puts.sum(), noCapacity.sum(), reads.sum(), readHits.sum(), evictions.sum(), tier.stats());
        assertThat(errors).isEmpty();
        assertThat(badChecksums.sum()).as("blocks returned with a wrong checksum").isZero();
        assertThat(overCapacity.sum()).isZero();
        assertThat(puts.sum()).isGreaterThan(0);
        assertThat(readHits.sum()).isGreaterThan(0);
        assertThat(evictions.sum()).isGreaterThan(0);
        // every page is accounted for: stored blocks' pages + free pages = all pages, nothing retired
        var d = tier.stats().details();
        assertThat(d.get("retired_pages")).isZero();
        assertThat(tier.openHandlePins()).isZero();
        long storedPages = tier.usedBytes() / PAGE;
        assertThat(d.get("free_pages") + storedPages).isEqualTo(d.get("pages_total"));
        List<BlockMeta> left = new ArrayList<>();
        tier.forEach(left::add);
        assertThat(left).hasSize((int) tier.blockCount());
        left.forEach(m -> tier.remove(m.key()));
        d = tier.stats().details();
        assertThat(d.get("free_pages")).isEqualTo(d.get("pages_total"));
        assertThat(d.get("free_runs")).isEqualTo(1);
        tier.close();
        // every handle the readers took was closed by them (not left for the garbage collector to find)
        assertThat(RefCountedHandle.open()).as("handles never closed").isLessThanOrEqualTo(openBefore);
        assertThat(RefCountedHandle.leaks() - leaksBefore).as("leaked handles").isZero();
    }

    private static Runnable guard(ConcurrentLinkedQueue<Throwable> errors, Runnable body) {
        return () -> {
            try {
                body.run();
            } catch (Throwable t) {
                errors.add(t);
            }
        };
    }
}
