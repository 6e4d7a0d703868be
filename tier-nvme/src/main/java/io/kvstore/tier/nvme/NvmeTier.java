package io.kvstore.tier.nvme;

import io.kvstore.core.table.KeyedTable;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.core.tier.TierDropListener;
import io.kvstore.core.tier.TierStats;
import io.kvstore.tier.nvme.MetaDescriptor.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;

/**
 * The NVMe tier: blocks on a local disk, written once, surviving restarts and kill -9.
 *
 * <h2>How the pieces fit</h2>
 * The disk holds a log of segment files ({@link SegmentStore}); a put encodes the block into one self-describing
 * record ({@link RecordDescriptor}: every field of the block's metadata, a header CRC and the payload's CRC32C, then
 * the payload) in a pooled 4 KiB-aligned buffer and appends it to the newest segment with one aligned write
 * (O_DIRECT where the filesystem allows). Then the block's 81-byte index record ({@link MetaDescriptor}: metadata and
 * where the record lies) goes to the durable index ({@link IndexStore}, kept in RocksDB by {@link RocksStore}),
 * which is the index and nothing else; an in-memory map
 * of the same answers {@link #meta}, {@link #contains} and {@link #forEach} without I/O. Every read verifies the
 * record against the index's metadata; a record that fails any check is a {@link ReadResult.Outcome#CORRUPT}: it is
 * deleted, counted and never served.
 *
 * <h2>Space: whole segments, oldest first, no rewriting of cold data</h2>
 * A cache is always full, and flash wears by bytes written, so space comes back the way CacheLib's navy block cache
 * gets it (RegionManager): when the segments on disk pass {@code capacityBytes} plus one segment, the oldest segment
 * is dropped whole ({@link Reclaimer}). Its records that the index still points at are dropped with it; the tier
 * asks the store's {@link TierDropListener} first ({@code mayDrop}: false for pinned or leased blocks, which are
 * then rewritten to the newest segment, bounded and counted as {@code relocated_blocks}) and tells it afterwards
 * ({@code dropped}). Besides those, a bounded share of each reclaimed segment (half by default,
 * {@code reinsertionShare}) goes to blocks that were read since they were written, parents first (CacheLib's
 * hits-based reinsertion, prefix-aware): a prefix cache needs the oldest blocks of a chain most, and pure FIFO would
 * drop them first. Nothing else is rewritten: cold data is dropped, never moved. A store that evicts this level in
 * FIFO order removes blocks in the same order, so the reclaim finds its oldest segment already empty.
 *
 * <p>{@link #usedBytes} counts live blocks ({@link #footprint} of each block the index holds), the figure the
 * store's policy weighs and the bound a put checks ({@link PutOutcome#NO_CAPACITY} past {@code capacityBytes}).
 * The bytes of removed blocks stay in their segment until it is reclaimed, so the disk holds more than
 * {@code usedBytes}, but never more than {@code capacityBytes} plus one segment ({@code effectiveSegmentBytes}: 1/64
 * of the capacity from 64 MiB up, 1 MiB below) plus the records of puts in flight (a put checks after its own
 * append, outside every key lock), plus RocksDB's index files (about 100 bytes per block).
 *
 * <h2>Crash safety without a write-ahead log</h2>
 * A record describes itself, so the index can be rebuilt from the log. Every {@code writeBufferBytes} of payload
 * the tier flushes the index together with a checkpoint ({@link IndexStore.Checkpoint}: the oldest segment that
 * may hold records the flushed index lacks). At open ({@link Recovery}) the index is loaded from RocksDB and the
 * segments from the checkpoint on (the log's tail, at most about a segment plus {@code writeBufferBytes}) are
 * scanned: each record whose header and payload verify and whose key the index lacks is indexed again. Restart
 * time grows with that tail, not with the capacity. A kill -9 therefore loses no block whose put returned (its
 * record was written); it may bring back blocks removed since the last checkpoint (their bytes are intact and
 * verified; the store rebuilds its directory from {@link #forEach}). With a WAL ({@link WalMode}) the index is
 * complete on its own and no tail is scanned. Index records pointing into segments reclaimed before a crash are
 * dropped at open ({@code stale_at_open}); segment ids are never reused.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe and blocking (they do disk I/O): callers keep them off event loops (the daemon runs
 * them on its blocking pool). {@link #readAll} reads its batches in parallel on the tier's bounded I/O pool
 * ({@code ioThreads} threads, {@code ioQueue} queued batches; a batch the pool refuses is read in the caller's
 * thread: {@link BatchReads}). A put is written by {@link BlockWriter}, a block read by {@link BlockReader}.
 * Puts, removes, drops and relocations
 * of the same key are serialized by striped locks; reads take no per-key lock (a read that races a relocation,
 * drop or remove looks the key up again). The put that takes the log past its limit reclaims, after it released its
 * key's lock; a put that finds a reclaim under way does not wait for it ({@link Reclaimer}). A background thread
 * flushes the index ({@link IndexFlusher}).
 * {@link #close()} waits for operations in flight and for that thread (before it takes the lifecycle write lock),
 * seals the active segment, flushes the index (so a clean shutdown scans no tail at the next open) and closes
 * RocksDB.
 *
 * <h2>Buffers</h2>
 * Payloads are copied on put; the caller keeps its buffer. Records are encoded into, and read into, pooled
 * aligned direct buffers ({@link BufferPool}, bounded by {@code bufferPoolBytes}), so a put is one copy and one
 * write, a read one read and no allocation in the steady state. A hit's handle is a zero-copy view of its buffer
 * (or of its own heap array if the record was compressed); the buffer goes back to the pool when the last handle
 * is closed, so a handle stays valid after a remove or close.
 */
public final class NvmeTier implements Tier {

    private static final Logger LOG = LoggerFactory.getLogger(NvmeTier.class);
    /** Bytes counted per block on top of its payload: record header and padding, index record, index entries. */
    public static final int OVERHEAD_BYTES = 4096;
    private static final int STRIPES = 64;

    final NvmeTierConfig cfg;
    final IndexStore durableIndex;
    final boolean directIo;
    final SegmentStore segments;
    final BufferPool pool;
    final KeyedTable<BlockKey, Entry> index = KeyedTable.compact(64, Entry::key); // off the latency path: no hashes
    final AtomicLong used = new AtomicLong();
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    /**
     * Per stripe, the monitor that orders {@link #confirm} with a claimed drop ({@link #unindexClaimed}): held only for
     * the claim and the index removal, never across I/O, so that a confirm on an event loop never waits for a disk
     * (the stripe locks are held across a record's append).
     */
    private final Object[] dropGuards = new Object[STRIPES];
    /** Operations hold it shared; {@link #close} exclusively. */
    final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final AtomicBoolean closed = new AtomicBoolean();

    final IndexFlusher flusher;
    private final BatchReads batchReads;
    final BlockWriter writer = new BlockWriter(this);
    final BlockReader reader = new BlockReader(this);
    final Reclaimer reclaimer;
    private final Recovery.Report opened;
    final NvmeCounters counters = new NvmeCounters();


    private NvmeTier(NvmeTierConfig cfg, DoubleConsumer openProgress) throws IOException {
        this.cfg = cfg;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
            dropGuards[i] = new Object();
        }
        this.pool = new BufferPool(cfg.bufferPoolBytes());
        Files.createDirectories(cfg.directory());
        this.directIo = cfg.directIo() && DirectIo.supported(cfg.directory());
        if (cfg.directIo() && !directIo) {
            LOG.warn("{}: the filesystem of {} does not support O_DIRECT; reads and writes go through the page cache",
                    cfg.name(), cfg.directory());
        }
        this.durableIndex = RocksStore.open(cfg, directIo);
        try {
            this.segments = new SegmentStore(cfg.directory().resolve("segments"), directIo,
                    cfg.effectiveSegmentBytes());
        } catch (IOException | RuntimeException e) {
            durableIndex.close();
            throw e;
        }
        this.reclaimer = new Reclaimer(this);
        this.flusher = new IndexFlusher(this);
        try {
            this.opened = Recovery.open(this, openProgress);
        } catch (IOException | RuntimeException e) {
            segments.close();
            durableIndex.close();
            throw e;
        }
        this.batchReads = new BatchReads(this);
    }

    /**
     * Opens (or creates) the tier in {@code cfg.directory()}, loads the index of what is stored there and
     * reconciles it with the log's tail. A directory of an earlier on-disk layout is started cold: its blocks are
     * deleted, with one warning in the log.
     *
     * @throws UncheckedIOException if the directory or the database cannot be opened
     */
    public static NvmeTier open(NvmeTierConfig cfg) {
        return open(cfg, fraction -> { });
    }

    /**
     * Opens the tier as {@link #open(NvmeTierConfig)} does, reporting how far loading the index has come (0..1, by
     * RocksDB's estimate of its size; about a hundred calls from the opening thread) to {@code openProgress}.
     */
    public static NvmeTier open(NvmeTierConfig cfg, DoubleConsumer openProgress) {
        try {
            return new NvmeTier(cfg, openProgress);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open NVMe tier in " + cfg.directory(), e);
        }
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ------------------------------------------------------------------------------------------------ Tier

    @Override
    public String name() {
        return cfg.name();
    }

    @Override
    public long capacityBytes() {
        return cfg.capacityBytes();
    }

    /**
     * As configured ({@link NvmeTierConfig#evictsItself}): the segment reclaim alone makes room, oldest segment first,
     * reinserting what was read since it was written; the live bytes ({@link #usedBytes}) then pass the capacity by at
     * most what the log holds beyond it (one segment, plus the backlog writers wait for: {@code Reclaimer}).
     */
    @Override
    public boolean evictsItself() {
        return cfg.evictsItself();
    }

    /** Live bytes: the {@link #footprint} of every block the index holds (see the class comment). */
    @Override
    public long usedBytes() {
        return used.get();
    }

    @Override
    public long blockCount() {
        return index.size();
    }

    @Override
    public long footprint(int length) {
        return footprintOf(length);
    }

    static long footprintOf(int length) {
        return (long) length + OVERHEAD_BYTES;
    }

    /** The configuration the tier was opened with. */
    public NvmeTierConfig config() {
        return cfg;
    }

    /**
     * True with a write-ahead log ({@link WalMode#BUFFERED} or {@link WalMode#SYNC}). Without one the tier rebuilds
     * the index records a kill -9 lost from the log's tail, so blocks whose put returned come back, but removes since
     * the last checkpoint may come back too; only a WAL makes removes durable, and only a synced one survives power
     * loss.
     */
    @Override
    public boolean durable() {
        return cfg.walMode() != WalMode.DISABLED;
    }

    /** True if segment I/O and RocksDB's reads, flushes and compactions bypass the page cache (O_DIRECT). */
    public boolean directIo() {
        return directIo;
    }

    /**
     * Registers the listener the tier asks before it drops a block on its own (segment reclaim) and tells after.
     * Until one is registered, reclaimed blocks are dropped without asking.
     */
    @Override
    public void dropListener(TierDropListener listener) {
        reclaimer.listener(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        if (payload.remaining() != meta.length()) {
            checkOpen();
            throw new IllegalArgumentException("payload has " + payload.remaining() + " bytes, metadata says "
                    + meta.length());
        }
        long fp = footprint(meta.length());
        if (fp > cfg.capacityBytes()) {
            checkOpen();
            return PutOutcome.TOO_LARGE;
        }
        lifecycle.readLock().lock();
        try {
            checkOpen();
            PutOutcome o = writer.put(meta, payload);
            if (o == PutOutcome.STORED) {
                reclaimer.makeRoom(); // outside the key's lock: reclaim takes other keys' locks
            }
            return o;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public ReadResult read(BlockKey key) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            return reader.read(key);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Reads several blocks in batches of at most {@code maxBatchKeys} keys and {@code maxBatchBytes} payload
     * bytes, each batch in segment order, several batches in parallel on the I/O pool ({@link BatchReads}).
     */
    @Override
    public List<ReadResult> readAll(List<BlockKey> keys) {
        return batchReads.readAll(keys);
    }

    @Override
    public Optional<BlockMeta> meta(BlockKey key) {
        checkOpen();
        Entry e = index.get(key);
        return e == null ? Optional.empty() : Optional.of(e.meta());
    }

    @Override
    public boolean remove(BlockKey key) {
        return removeIf(key, null);
    }

    /** Removes the block if it is stored (and, with {@code expected} non-null, is still that entry). */
    boolean removeIf(BlockKey key, Entry expected) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            return unindex(key, expected);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Answers under the key's drop guard, so in order with {@link #unindexClaimed}'s claimed drops; waits at most for
     * a claim and an index removal, never for I/O.
     */
    @Override
    public boolean confirm(BlockKey key) {
        checkOpen();
        synchronized (dropGuard(key)) {
            return index.get(key) != null;
        }
    }

    /**
     * Takes the block out of the index (map, RocksDB, segment accounting) if it is still {@code expected} (any
     * entry if null). Its bytes stay where they are until their segment is reclaimed. Package-private for
     * {@link Reclaimer} and {@link Recovery}; the caller holds no stripe lock.
     */
    boolean unindex(BlockKey key, Entry expected) {
        return unindexClaimed(key, expected, null) == Unindexed.DROPPED;
    }

    /** What {@link #unindexClaimed} did. */
    enum Unindexed {
        /** Taken out of the index. */
        DROPPED,
        /** The listener's claim said the block must stay (pinned or leased now): still indexed. */
        REFUSED,
        /** Not there, or no longer {@code expected}. */
        ABSENT
    }

    /**
     * {@link #unindex}, asking {@code claim} ({@link TierDropListener#claimDrop}; null: nobody) first, under the key's
     * stripe lock and its drop guard, so that the answer and the removal from the index are one step for {@link
     * #confirm} and for the store's leases.
     */
    Unindexed unindexClaimed(BlockKey key, Entry expected, TierDropListener claim) {
        ReentrantLock stripe = stripe(key);
        stripe.lock();
        try {
            Entry e = index.get(key);
            if (e == null || (expected != null && e != expected)) {
                return Unindexed.ABSENT;
            }
            synchronized (dropGuard(key)) {
                if (claim != null && !claim.claimDrop(key)) {
                    return Unindexed.REFUSED;
                }
                index.remove(key);
            }
            reclaimer.forget(key);
            try {
                durableIndex.delete(key);
            } catch (IOException ex) {
                counters.errors.increment(); // the record may come back at the next open; it still verifies or is dropped
                LOG.warn("{}: delete {} failed: {}", cfg.name(), key.shortHex(), ex.toString());
            }
            segments.removeLive(e.location());
            used.addAndGet(-footprint(e.payloadLength()));
            return Unindexed.DROPPED;
        } finally {
            stripe.unlock();
        }
    }

    /**
     * The index entries whose records lie in segment {@code segment}: a walk over the whole index, which a reclaim makes
     * once per segment (about a segment's share of the index, 1/64, per block reclaimed) instead of the tier keeping a
     * set of keys per segment (a table slot, about 7 bytes of heap, per block).
     */
    List<Entry> entriesIn(long segment) {
        List<Entry> out = new java.util.ArrayList<>();
        index.forEach(e -> {
            if (e.segment() == segment) {
                out.add(e);
            }
        });
        return out;
    }

    @Override
    public void forEach(Consumer<BlockMeta> visitor) {
        checkOpen();
        index.forEach(e -> visitor.accept(e.meta()));
    }

    /**
     * The tier's counters. Details (stable snake_case names; docs/tiers.md lists them): device bytes written by
     * cause ({@code device_bytes_written_new} for admitted records, {@code device_bytes_written_relocated} for
     * blocks that must stay through a reclaim, {@code device_bytes_written_reinserted} for blocks read since they
     * were written and kept through a reclaim, {@code device_bytes_written_index} for RocksDB's flushes, compactions
     * and WAL,
     * and their sum {@code device_bytes_written}), {@code write_amplification_permille} (that sum per payload byte
     * admitted, x1000), reclaim ({@code reclaimed_segments}, {@code dropped_blocks}, {@code relocated_blocks},
     * {@code reinserted_blocks}, {@code reinserted_on_read_blocks}, {@code forced_drops}) and what the last open found ({@code recovered_at_open}, {@code stale_at_open},
     * {@code corrupt_at_open}, {@code torn_at_open}, {@code tail_bytes_scanned_at_open}, {@code open_millis},
     * {@code started_cold}).
     */
    @Override
    public TierStats stats() {
        checkOpen();
        Map<String, Long> d = new LinkedHashMap<>();
        d.put("errors", counters.errors.sum());
        d.put("busy", counters.busy.sum());
        d.put("span_reads", counters.spanReads.sum());
        d.put("span_read_blocks", counters.spanRecords.sum());
        d.put("index_flushes", flusher.flushes());
        counters.writeFigures(d, durableIndex.bytesWritten());
        reclaimer.stats(d);
        opened.stats(d);
        d.put("direct_io", directIo ? 1L : 0L);
        d.put("buffer_allocations", pool.allocations());
        d.put("buffer_pool_bytes", pool.pooledBytes());
        d.put("segments", (long) segments.segments().size());
        d.put("segment_bytes", segments.totalBytes());
        d.put("segment_garbage_bytes", segments.garbageBytes());
        d.put("recycled_segments", segments.recycledSegments());
        d.put("free_segment_files", (long) segments.freeFiles());
        segments.writerStats(d);
        lifecycle.readLock().lock();
        try {
            if (!closed.get()) {
                durableIndex.stats(d);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        return new TierStats(cfg.name(), cfg.capacityBytes(), used.get(), index.size(), counters.hits.sum(), counters.misses.sum(),
                counters.corrupt.sum(), d);
    }

    // ------------------------------------------------------------------------------------------ maintenance

    /**
     * Flushes and compacts the index now and waits (tests, benchmarks, operators). Segment space is not touched:
     * it comes back by whole segments as the log passes capacity.
     */
    public void compactNow() {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            flusher.flush();
            durableIndex.compact();
        } catch (IOException e) {
            counters.errors.increment();
            throw new UncheckedIOException(new IOException("compaction failed", e));
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Syncs the segments and flushes the index, and waits (the blocks stored so far survive a crash afterwards). */
    public void flush() {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            flusher.flush();
        } catch (IOException e) {
            counters.errors.increment();
            throw new UncheckedIOException(new IOException("flush failed", e));
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------- lifecycle

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        batchReads.shutdown();
        flusher.shutdown();
        reclaimer.shutdown();
        // Before the write lock: a background step that needs the read lock must not wait for close while close
        // waits for it (the 60 s hang of issue 15, NvmeCloseTest).
        batchReads.awaitStopped();
        flusher.awaitStopped();
        reclaimer.awaitStopped();
        lifecycle.writeLock().lock();
        try {
            try {
                segments.sealActive(); // nothing in flight: the checkpoint then covers every segment
                flusher.flush(); // the next open scans no tail (and undoes no remove)
            } catch (IOException e) {
                LOG.warn("{}: flush at close failed: {}", cfg.name(), e.toString());
            }
            segments.close();
            durableIndex.close(); // stops its background work first
            index.clear();
            used.set(0);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    static void awaitQuietly(ExecutorService ex) {
        try {
            if (!ex.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("executor did not stop within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void checkOpen() {
        if (closed.get()) {
            throw new TierClosedException("tier " + cfg.name());
        }
    }

    /** True once {@link #close} has begun. */
    boolean isClosed() {
        return closed.get();
    }

    /** The lock that serializes puts, removes, drops and relocations of {@code key}. */
    ReentrantLock stripe(BlockKey key) {
        return stripes[stripeIndex(key)];
    }

    private Object dropGuard(BlockKey key) {
        return dropGuards[stripeIndex(key)];
    }

    private static int stripeIndex(BlockKey key) {
        return (key.hashCode() & 0x7fffffff) % STRIPES;
    }
}
