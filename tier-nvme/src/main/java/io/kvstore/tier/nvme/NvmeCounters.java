package io.kvstore.tier.nvme;

import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of an {@link NvmeTier}: reads by outcome, errors, refusals of a full I/O pool, and the bytes written
 * to the device by cause, from which the tier reports its write amplification (docs/tiers.md names every figure).
 */
final class NvmeCounters {

    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder corrupt = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder busy = new LongAdder();
    /** Reads of several back-to-back records with one I/O, and the records they returned as hits. */
    final LongAdder spanReads = new LongAdder();
    final LongAdder spanRecords = new LongAdder();
    final LongAdder payloadBytesWritten = new LongAdder();
    final LongAdder recordBytesWritten = new LongAdder();
    /** Padded record bytes of admitted blocks. */
    final LongAdder deviceBytesNew = new LongAdder();
    /** Padded record bytes of blocks that had to stay through a reclaim (pinned, leased). */
    final LongAdder deviceBytesRelocated = new LongAdder();
    /** Padded record bytes of blocks read since they were written, kept through a reclaim. */
    final LongAdder deviceBytesReinserted = new LongAdder();
    final LongAdder encodedBlocks = new LongAdder();

    /**
     * Puts the write figures in {@code d}: payload and record bytes, device bytes by cause with the index's
     * ({@code indexBytes}: RocksDB's flushes, compactions and WAL) and their sum, write amplification (device bytes
     * per payload byte, x1000) and the blocks stored encoded.
     */
    void writeFigures(Map<String, Long> d, long indexBytes) {
        long payload = payloadBytesWritten.sum();
        long news = deviceBytesNew.sum();
        long relocated = deviceBytesRelocated.sum();
        long reinserted = deviceBytesReinserted.sum();
        long device = news + relocated + reinserted + indexBytes;
        d.put("payload_bytes_written", payload);
        d.put("record_bytes_written", recordBytesWritten.sum());
        d.put("device_bytes_written_new", news);
        d.put("device_bytes_written_relocated", relocated);
        d.put("device_bytes_written_reinserted", reinserted);
        d.put("device_bytes_written_index", indexBytes);
        d.put("device_bytes_written", device);
        d.put("write_amplification_permille", payload == 0 ? 0 : device * 1000 / payload);
        d.put("encoded_blocks", encodedBlocks.sum());
    }
}
