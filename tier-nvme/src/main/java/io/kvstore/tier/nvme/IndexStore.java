package io.kvstore.tier.nvme;

import io.kvstore.core.key.BlockKey;

import java.io.IOException;
import java.util.Map;

/**
 * The durable index of an {@link NvmeTier}: block key to its {@link MetaDescriptor} index record (metadata and the
 * record's place in the segment files), plus the directory's format version and the flush {@link Checkpoint}. The
 * tier keeps an in-memory copy of the same map for every lookup; this store is written on every put and remove and
 * read only at open. {@link RocksStore} is the one implementation, and the only class of the tier that sees RocksDB.
 *
 * <p>Writes go to a write buffer that {@link #flush} makes durable (with a WAL, per the tier's {@link WalMode}, each
 * write is durable on its own). All methods are thread-safe, except {@link #close}, which the tier calls once no
 * other call is in flight. Byte arrays passed in are not kept; byte arrays passed to a visitor are its own.
 */
interface IndexStore extends AutoCloseable {

    /**
     * On-disk format version of the whole directory: 3 = self-describing segment records ({@link RecordDescriptor}
     * version 2), index records of {@link MetaDescriptor} version 2, and the checkpoint record. A directory without
     * it (or with another value) was written by an earlier layout.
     */
    int FORMAT = 3;

    /**
     * What the last index flush made durable: every record in a segment with an id below {@code tailFrom} has its
     * index record in the flushed index; records in segments from {@code tailFrom} on may not (the log's tail,
     * scanned at open). {@code nextSegment}: no segment id below it is ever used again.
     */
    record Checkpoint(long tailFrom, long nextSegment) {
        static final Checkpoint NONE = new Checkpoint(0, 0);
    }

    /** Receives the index records in key order; see {@link #forEach}. */
    @FunctionalInterface
    interface RecordVisitor {
        void visit(BlockKey key, byte[] record);
    }

    /** Stores (or replaces) the index record of {@code key}. */
    void put(BlockKey key, byte[] record) throws IOException;

    /** Deletes the index record of {@code key}; deleting an absent key does nothing. */
    void delete(BlockKey key) throws IOException;

    /** Visits every block's index record (not the format and checkpoint records), from the calling thread. */
    void forEach(RecordVisitor visitor) throws IOException;

    /** An estimate of how many records {@link #forEach} visits (for progress reports); at least 0. */
    long estimatedRecords();

    /** True if the store holds any record at all, format and checkpoint included. */
    boolean isEmpty();

    /** Deletes every record (starting an earlier layout's directory cold). */
    void clear() throws IOException;

    /** The directory's format version, or -1 if it has none (new, or an earlier layout). */
    int format() throws IOException;

    /** Records the current {@link #FORMAT}. */
    void writeFormat() throws IOException;

    /** The last checkpoint written, or {@link Checkpoint#NONE}. */
    Checkpoint checkpoint() throws IOException;

    /** Puts the checkpoint into the write buffer; the caller then calls {@link #flush}. */
    void writeCheckpoint(Checkpoint c) throws IOException;

    /** Makes every write so far durable, and waits. */
    void flush() throws IOException;

    /** Compacts the store (processes deletes), and waits. */
    void compact() throws IOException;

    /** Bytes the store wrote to the device: flushes, compactions and its log. */
    long bytesWritten();

    /** Adds the store's own figures to a tier's stats details ({@code sst_bytes}, {@code memtable_bytes}). */
    void stats(Map<String, Long> details);

    /** Stops background work and releases every resource; idempotent. */
    @Override
    void close();
}
