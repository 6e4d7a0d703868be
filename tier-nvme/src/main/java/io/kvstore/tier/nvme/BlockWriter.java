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
 * The write path of an {@link NvmeTier}: a block is encoded into one record in a pooled aligned buffer (or, when its
 * payload sits in 4 KiB-aligned direct memory and no codec applies, as a version 3 record written from where the
 * payload is, behind a 4 KiB header: {@link RecordDescriptor}), its bytes are reserved against the capacity, the record is appended to the log, its index record written, and the block
 * indexed in memory, all under its key's stripe lock. Reclaiming space after a put is the tier's business (outside
 * the key's lock); rewriting a block that must stay through a reclaim uses {@link #append} too.
 */
final class BlockWriter {

    private static final int ALIGN = SegmentStore.ALIGN;

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
        if (!fits(tier.used.get(), fp)) {
            return PutOutcome.NO_CAPACITY;
        }
        if (writesInPlace(payload)) {
            return putInPlace(meta, fp, payload);
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

    /**
     * True if {@code payload} can be written from where it is, as a version 3 record: no codec to apply, and
     * direct memory that starts on a 4 KiB boundary (a block of the DRAM arena does).
     */
    private boolean writesInPlace(ByteBuffer payload) {
        return tier.cfg.codec() == Codec.NONE && payload.isDirect() && payload.remaining() >= ALIGN
                && payload.alignmentOffset(payload.position(), ALIGN) == 0;
    }

    /**
     * Stores {@code payload} without copying it: the record's 4 KiB header, the payload's whole 4 KiB units from
     * where they are, and its last partial unit (copied, padded with zeros) go to the device in one gathering write.
     */
    private PutOutcome putInPlace(BlockMeta meta, long fp, ByteBuffer payload) {
        int len = payload.remaining();
        int whole = len / ALIGN * ALIGN;
        int rest = len - whole;
        ByteBuffer small = tier.pool.acquire(2 * ALIGN);
        try {
            ByteBuffer header = small.duplicate().clear().limit(ALIGN).slice();
            RecordDescriptor.encodeAlignedHeader(meta, header);
            ByteBuffer body = payload.duplicate();
            body.limit(body.position() + whole);
            ByteBuffer[] parts;
            if (rest == 0) {
                parts = new ByteBuffer[] {header, body.slice()};
            } else {
                ByteBuffer tail = small.duplicate().clear().position(ALIGN).limit(2 * ALIGN).slice();
                tail.put(payload.duplicate().position(payload.position() + whole));
                while (tail.hasRemaining()) {
                    tail.put((byte) 0);
                }
                parts = new ByteBuffer[] {header, body.slice(), tail.flip()};
            }
            return write(meta, fp, RecordDescriptor.ALIGNED_PAYLOAD_OFFSET + len, parts, Codec.NONE);
        } finally {
            tier.pool.release(small);
        }
    }

    private PutOutcome write(BlockMeta meta, long fp, ByteBuffer record, Codec codecUsed) {
        return write(meta, fp, record.remaining(), new ByteBuffer[] {record}, codecUsed);
    }

    /**
     * Appends a record of {@code recordLength} bytes given as one buffer (padded here) or as aligned
     * {@code parts} (already padded) and indexes it, under the key's stripe lock.
     */
    private PutOutcome write(BlockMeta meta, long fp, int recordLength, ByteBuffer[] parts, Codec codecUsed) {
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
            Entry e;
            try {
                e = parts.length == 1 ? append(meta, parts[0]) : append(meta, recordLength, parts);
            } catch (IOException ex) {
                tier.used.addAndGet(-fp);
                tier.counters.errors.increment();
                LOG.warn("{}: put {} failed: {}", tier.cfg.name(), key.shortHex(), ex.toString());
                return PutOutcome.FAILED;
            }
            tier.index.put(e);
            tier.segments.addLive(e.location(), true);
            NvmeCounters counters = tier.counters;
            counters.payloadBytesWritten.add(meta.length());
            counters.recordBytesWritten.add(recordLength);
            counters.deviceBytesNew.add(e.padded());
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
        return append(meta, record.remaining(), new ByteBuffer[] {record});
    }

    /** {@link #append(BlockMeta, ByteBuffer)} of a record given as one buffer or as padded, aligned parts. */
    private Entry append(BlockMeta meta, int recordLength, ByteBuffer[] parts) throws IOException {
        SegmentStore segments = tier.segments;
        SegmentStore.Location loc = segments.append(recordLength, parts); // abandoned there if the write fails
        try {
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

    /** True if {@code fp} more bytes fit beside {@code used}: always where the tier evicts itself. */
    private boolean fits(long used, long fp) {
        return tier.cfg.evictsItself() || used + fp <= tier.cfg.capacityBytes();
    }

    private boolean reserve(long fp) {
        long u;
        do {
            u = tier.used.get();
            if (!fits(u, fp)) {
                return false;
            }
        } while (!tier.used.compareAndSet(u, u + fp));
        return true;
    }
}
