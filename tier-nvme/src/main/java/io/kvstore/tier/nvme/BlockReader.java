package io.kvstore.tier.nvme;

import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.tier.nvme.MetaDescriptor.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The read path of one block of an {@link NvmeTier}: its record is read into a pooled aligned buffer and verified
 * against the in-memory index's metadata; the hit's handle is a zero-copy view of that buffer, which goes back to the
 * pool when the handle is closed. Reads take no key lock: a read that races a relocation, drop or remove finds its
 * index entry changed and looks the key up again; a record that fails verification while its entry stands is
 * dropped as corrupt.
 */
final class BlockReader {

    private static final Logger LOG = LoggerFactory.getLogger(BlockReader.class);
    /** Reads that find their record moved (relocated) or removed look the key up again this many times. */
    private static final int READ_ATTEMPTS = 3;

    private final NvmeTier tier;

    BlockReader(NvmeTier tier) {
        this.tier = tier;
    }

    /** One block; the caller holds the lifecycle read lock. */
    ReadResult read(BlockKey key) {
        NvmeCounters counters = tier.counters;
        BufferPool pool = tier.pool;
        for (int attempt = 1; ; attempt++) {
            Entry e = tier.index.get(key);
            if (e == null) {
                counters.misses.increment();
                return ReadResult.miss();
            }
            SegmentStore.Location loc = e.location();
            ByteBuffer buf = pool.acquire(loc.padded());
            String problem;
            try {
                problem = tier.segments.read(loc, buf) ? null : "record missing";
            } catch (IOException ex) {
                if (interrupted(ex)) {
                    pool.release(buf);
                    return interruptedMiss();
                }
                problem = ex.toString();
            }
            ByteBuffer payload = problem == null ? RecordDescriptor.decode(buf, e.meta(), loc.segment()) : null;
            if (payload != null) {
                return verified(key, e, buf, payload, () -> pool.release(buf));
            }
            pool.release(buf);
            if (tier.index.get(key) != e && attempt < READ_ATTEMPTS) {
                continue; // relocated or removed while we read: look again
            }
            if (tier.index.get(key) != e) {
                counters.misses.increment();
                return ReadResult.miss();
            }
            return dropCorrupt(key, e, problem == null ? "record failed verification" : problem);
        }
    }

    /**
     * Records that lie back to back in one segment, read with one I/O into one pooled buffer: {@code span} lists
     * their indexes in {@code keys} and {@code entries} (the index entries they were found under), in offset order,
     * and each result goes to {@code results} at its index. Each hit's handle is a view of the shared buffer, which
     * goes back to the pool when the last of them is closed. A record that fails verification (relocated, removed or
     * damaged since its entry was read), or a span that cannot be read whole, is read again on its own by {@link
     * #read}, which sorts out which it was. The caller holds the lifecycle read lock.
     */
    void readSpan(List<BlockKey> keys, Entry[] entries, List<Integer> span, ReadResult[] results) {
        Entry first = entries[span.get(0)];
        Entry last = entries[span.get(span.size() - 1)];
        int bytes = (int) (last.offset() + last.padded() - first.offset());
        BufferPool pool = tier.pool;
        ByteBuffer buf = pool.acquire(bytes);
        boolean whole;
        try {
            whole = tier.segments.read(new SegmentStore.Location(first.segment(), first.offset(), bytes), buf);
        } catch (IOException ex) {
            if (interrupted(ex)) {
                pool.release(buf);
                for (int i : span) {
                    results[i] = interruptedMiss();
                }
                return;
            }
            whole = false; // the single reads below tell a moved record from a damaged one, and report it
        }
        if (!whole) {
            pool.release(buf);
            for (int i : span) {
                results[i] = read(keys.get(i));
            }
            return;
        }
        tier.counters.spanReads.increment();
        AtomicInteger users = new AtomicInteger(span.size() + 1); // one per record, one for this method
        Runnable share = () -> {
            if (users.decrementAndGet() == 0) {
                pool.release(buf);
            }
        };
        try {
            for (int i : span) {
                Entry e = entries[i];
                BlockKey key = keys.get(i);
                ByteBuffer record = buf.slice((int) (e.offset() - first.offset()), e.padded())
                        .limit(e.length());
                ByteBuffer payload = RecordDescriptor.decode(record, e.meta(), e.segment());
                if (payload == null) {
                    share.run();
                    results[i] = read(key);
                } else {
                    tier.counters.spanRecords.increment();
                    results[i] = verified(key, e, record, payload, share);
                }
            }
        } finally {
            share.run();
        }
    }

    /**
     * The hit of a record that passed verification: its handle is a view of {@code record}'s buffer, given back
     * by {@code release} when the handle closes (at once if the payload was decoded into its own heap array).
     */
    private ReadResult verified(BlockKey key, Entry e, ByteBuffer record, ByteBuffer payload, Runnable release) {
        tier.counters.hits.increment();
        if (!payload.isDirect()) {
            tier.reclaimer.hit(key);
            release.run();
            return ReadResult.hit(RefCountedHandle.create(e.meta(), payload, null));
        }
        return ReadResult.hit(RefCountedHandle.create(e.meta(), payload,
                tier.reclaimer.readHit(key, e, record, release)));
    }

    /**
     * True if a read failed because this thread was interrupted (its channel is then closed, and so is the next
     * read's until the interrupt is cleared): an error, never a damaged block.
     */
    private static boolean interrupted(IOException ex) {
        return ex instanceof ClosedByInterruptException || ex instanceof InterruptedIOException
                || Thread.currentThread().isInterrupted();
    }

    private ReadResult interruptedMiss() {
        tier.counters.errors.increment();
        tier.counters.misses.increment();
        return ReadResult.miss();
    }

    private ReadResult dropCorrupt(BlockKey key, Entry e, String why) {
        tier.counters.corrupt.increment();
        LOG.warn("{}: block {} is corrupt ({}); dropped", tier.cfg.name(), key.shortHex(), why);
        tier.removeIf(key, e);
        return ReadResult.corrupt();
    }
}
