package io.kvstore.tier.remote;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.tier.ForwardingTier;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierStats;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Write-through of hot blocks: wraps the local tier that takes a daemon's puts and, for every block it stores
 * that {@code hot} selects (e.g. the first blocks of each chain: system prompts and shared instructions, which
 * other nodes will ask for soon), also copies it into the shared {@link Tier} in the background, so other daemons
 * find it before this one ever demotes it. Everything else is the wrapped tier's: reads, removes, capacity,
 * stats (plus {@code write_through_*} details).
 *
 * <p>The copy is asynchronous and bounded: payloads wait in a queue of at most {@code maxQueuedBytes}; a block
 * that does not fit is skipped and counted ({@code write_through_skipped_total}), never blocks the put. A block
 * later demoted into the shared tier by the store is then simply already there (the store counts that as
 * stored). The shared tier is not owned: closing this closes the wrapped tier and the copier thread only.
 *
 * <p>Thread-safety: as the wrapped tier; one daemon thread does the copies.
 */
public final class WriteThroughTier extends ForwardingTier {

    private record Copy(BlockMeta meta, byte[] payload) {
    }

    private final Tier shared;
    private final Predicate<BlockMeta> hot;
    private final long maxQueuedBytes;
    private final BlockingQueue<Copy> queue = new ArrayBlockingQueue<>(4096);
    private final AtomicLong queuedBytes = new AtomicLong();
    private final LongAdder copied = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread copier;

    /**
     * @param local          the tier puts land in (owned: closed with this)
     * @param shared         the shared tier copies go to (not owned)
     * @param hot            which stored blocks to copy, e.g. {@code m -> m.position() < 4}
     * @param maxQueuedBytes bound on payload bytes waiting to be copied
     */
    public WriteThroughTier(Tier local, Tier shared, Predicate<BlockMeta> hot, long maxQueuedBytes) {
        super(local);
        if (maxQueuedBytes < 1) {
            throw new IllegalArgumentException("maxQueuedBytes must be >= 1, was " + maxQueuedBytes);
        }
        this.shared = Objects.requireNonNull(shared, "shared");
        this.hot = Objects.requireNonNull(hot, "hot");
        this.maxQueuedBytes = maxQueuedBytes;
        this.copier = new Thread(this::copyLoop, "write-through-" + local.name());
        copier.setDaemon(true);
        copier.start();
    }

    /** First blocks of every chain: {@code position < blocks}. */
    public static Predicate<BlockMeta> firstBlocks(int blocks) {
        return m -> m.position() < blocks;
    }

    @Override
    public PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        PutOutcome o = tier.put(meta, payload);
        if (o == PutOutcome.STORED && hot.test(meta)) {
            enqueue(meta, payload);
        }
        return o;
    }

    private void enqueue(BlockMeta meta, ByteBuffer payload) {
        long n = meta.length();
        long q;
        do {
            q = queuedBytes.get();
            if (q + n > maxQueuedBytes) {
                skipped.increment();
                return;
            }
        } while (!queuedBytes.compareAndSet(q, q + n));
        byte[] copy = new byte[meta.length()];
        payload.duplicate().get(copy);
        if (!queue.offer(new Copy(meta, copy))) {
            queuedBytes.addAndGet(-n);
            skipped.increment();
        }
    }

    private void copyLoop() {
        while (!closed.get()) {
            Copy c;
            try {
                c = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (c == null) {
                continue;
            }
            try {
                PutOutcome o = shared.put(c.meta(), ByteBuffer.wrap(c.payload()));
                if (o == PutOutcome.STORED || o == PutOutcome.ALREADY_PRESENT) {
                    copied.increment();
                } else {
                    failed.increment();
                }
            } catch (RuntimeException e) {
                failed.increment(); // the shared tier was closed under us; nothing to do but count
            } finally {
                queuedBytes.addAndGet(-c.meta().length());
            }
        }
    }

    /** Waits until every queued copy was attempted, or the timeout passes; true if the queue drained. */
    public boolean drain(long timeoutMillis) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (queuedBytes.get() > 0) {
            if (System.nanoTime() > until) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    @Override
    public TierStats stats() {
        TierStats s = tier.stats();
        Map<String, Long> d = new LinkedHashMap<>(s.details());
        d.put("write_through_copied_total", copied.sum());
        d.put("write_through_skipped_total", skipped.sum());
        d.put("write_through_failed_total", failed.sum());
        d.put("write_through_queued_bytes", queuedBytes.get());
        d.put("write_through_queue_limit_bytes", maxQueuedBytes);
        return new TierStats(s.name(), s.capacityBytes(), s.usedBytes(), s.blocks(), s.hits(), s.misses(),
                s.corrupt(), d);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            copier.interrupt();
            tier.close();
        }
    }
}
