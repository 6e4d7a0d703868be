package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.tier.nvme.MetaDescriptor.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write path of an {@link NvmeTier}: a block is encoded into one record in a pooled aligned buffer, its bytes
 * are reserved against the capacity, the record is appended to the log, its index record written, and the block
 * indexed in memory, all under its key's stripe lock. Reclaiming space after a put is the tier's business (outside
 * the key's lock); rewriting a block that must stay through a reclaim uses {@link #append} too.
 */
final class BlockWriter {

    private static final Logger LOG = LoggerFactory.getLogger(BlockWriter.class);

    private final NvmeTier tier;

    BlockWriter(NvmeTier tier) {
        this.tier = tier;
    }

    /** Stores a block whose arguments the tier checked; the caller holds the lifecycle read lock. */
    PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        long fp = NvmeTier.footprintOf(meta.length());
        if (tier.index.containsKey(meta.key())) {
            return PutOutcome.ALREADY_PRESENT;
        }
        if (tier.used.get() + fp > tier.cfg.capacityBytes()) {
            return PutOutcome.NO_CAPACITY;
        }
        ByteBuffer record = tier.pool.acquire(SegmentStore.Location.padded(
                RecordDescriptor.maxRecordLength(meta.length(), tier.cfg.codec())));
        try {
            Codec codecUsed = RecordDescriptor.encode(meta, payload, tier.cfg.codec(), record);
            return write(meta, fp, record, codecUsed);
        } finally {
            tier.pool.release(record);
        }
    }

    private PutOutcome write(BlockMeta meta, long fp, ByteBuffer record, Codec codecUsed) {
        BlockKey key = meta.key();
        ReentrantLock stripe = tier.stripe(key);
        stripe.lock();
        try {
            if (tier.index.containsKey(key)) {
                return PutOutcome.ALREADY_PRESENT;
            }
            if (!reserve(fp)) {
                return PutOutcome.NO_CAPACITY;
            }
            int recordLength = record.remaining();
            Entry e;
            try {
                e = append(meta, record);
            } catch (IOException ex) {
                tier.used.addAndGet(-fp);
                tier.counters.errors.increment();
                LOG.warn("{}: put {} failed: {}", tier.cfg.name(), key.shortHex(), ex.toString());
                return PutOutcome.FAILED;
            }
            tier.index.put(key, e);
            tier.segments.addLive(e.location(), key, true);
            NvmeCounters counters = tier.counters;
            counters.payloadBytesWritten.add(meta.length());
            counters.recordBytesWritten.add(recordLength);
            counters.deviceBytesNew.add(e.location().padded());
            if (codecUsed != Codec.NONE) {
                counters.encodedBlocks.increment();
            }
            tier.flusher.added(meta.length());
            return PutOutcome.STORED;
        } finally {
            stripe.unlock();
        }
    }

    /**
     * Writes {@code record} to a segment, then its index record to the {@link IndexStore} (in that order: an index
     * record never points at unwritten bytes). The caller holds the key's stripe lock and registers the entry as
     * live.
     */
    Entry append(BlockMeta meta, ByteBuffer record) throws IOException {
        SegmentStore segments = tier.segments;
        SegmentStore.Location loc = segments.reserve(record.remaining());
        try {
            segments.write(loc, record);
            if (tier.cfg.walMode() == WalMode.SYNC) {
                segments.force(loc); // durable before the synced index record
            }
            tier.durableIndex.put(meta.key(), MetaDescriptor.encode(meta, loc));
        } catch (IOException | RuntimeException e) {
            segments.abandon(loc);
            throw e;
        }
        return new Entry(meta, loc);
    }

    private boolean reserve(long fp) {
        long u;
        do {
            u = tier.used.get();
            if (u + fp > tier.cfg.capacityBytes()) {
                return false;
            }
        } while (!tier.used.compareAndSet(u, u + fp));
        return true;
    }
}
