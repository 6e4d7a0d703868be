package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.core.tier.TierStats;
import io.kvstore.tier.nvme.MetaDescriptor.Entry;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The NVMe tier: blocks on a local disk, surviving restarts and crashes.
 *
 * <h2>How the pieces fit</h2>
 * A put encodes the block record ({@link RecordDescriptor}: a checksummed header and the payload, encoded by the
 * configured {@link Codec}) into a pooled 4 KiB-aligned buffer, appends it to the active segment file of the
 * {@link SegmentStore} (one aligned write, O_DIRECT where the filesystem allows), and only then writes the
 * block's 81-byte index record ({@link MetaDescriptor}: metadata and the record's segment, offset and length)
 * to RocksDB. RocksDB is the index, not the payload store: the published rocksdbjni's BlobDB computed a software
 * CRC32C of every blob at flush and copied each payload three times, which held writes at ~38% of the raw disk
 * (docs/tiers.md). An in-memory index (key to metadata and location) answers {@link #meta}, {@link #contains} and
 * {@link #forEach} without I/O; it is rebuilt at open from the RocksDB records alone, so opening a full disk
 * reads no payload. Every read verifies the record against the index's metadata; a record that fails any check
 * is a {@link ReadResult.Outcome#CORRUPT}: it is deleted, counted and never served.
 *
 * <h2>Crash safety</h2>
 * The record's bytes are written before its index record, so an index record that survives a crash points at
 * written bytes. Without a WAL the index is flushed in the background every {@code writeBufferBytes} of payload
 * (a crash loses about that much); a segment is deleted only after a flush has made durable the index deletions
 * that emptied it, so a lost delete never resurrects a block whose bytes are gone.
 *
 * <h2>Capacity</h2>
 * Logical capacity is enforced on every put (the sum of {@link #footprint} of stored blocks never passes
 * {@code capacityBytes}; a put that does not fit answers {@link PutOutcome#NO_CAPACITY}); eviction is the
 * store's decision, through its policy. A removed block's bytes stay in its segment until the whole segment is
 * deleted, so the tier reclaims in the background when segment bytes that no block points at (garbage) pass
 * {@code garbageRatio} of the capacity: it deletes segments that hold no live block and, if that is not enough,
 * relocates the live blocks of the segment with the most garbage to the active segment and deletes it. At twice
 * the ratio, writers wait for it in {@link #awaitWritable} (outside the store's lock; {@link #put} never waits).
 * This keeps the directory within capacity + 10% (measured by
 * {@code NvmeCapacityTest}; see docs/tiers.md).
 *
 * <h2>Threads</h2>
 * All methods are thread-safe and blocking (they do disk I/O). Callers on event-loop threads use the async
 * variants ({@link #readAsync}, {@link #readAllAsync}, {@link #putAsync}), which run on the tier's bounded pool
 * ({@code ioThreads} threads, {@code ioQueue} queued operations; beyond that the future fails at once with
 * {@link RejectedExecutionException}: backpressure, never an unbounded queue). Puts, removes and relocations of
 * the same key are serialized by striped locks; reads take no per-key lock (a read that races a relocation or
 * remove looks the key up again). {@link #close()} waits for operations in flight, syncs the active segment,
 * flushes the index (so a clean shutdown loses nothing even without a WAL) and closes RocksDB.
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
    /** Reads that find their record moved (relocated) or removed look the key up again this many times. */
    private static final int READ_ATTEMPTS = 3;

    private final NvmeTierConfig cfg;
    private final RocksStore rocks;
    private final SegmentStore segments;
    private final Map<BlockKey, Entry> index = new ConcurrentHashMap<>();
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong used = new AtomicLong();
    /** Payload bytes put since the last index flush. */
    private final AtomicLong unflushed = new AtomicLong();
    private static final ThreadLocal<Boolean> IN_IO_POOL = ThreadLocal.withInitial(() -> false);

    private final BufferPool pool;
    private final ThreadPoolExecutor io;
    private final ExecutorService maintenance;
    private CompletableFuture<Void> maintaining = CompletableFuture.completedFuture(null);

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder busy = new LongAdder();
    private final LongAdder indexFlushes = new LongAdder();
    private final LongAdder reclaimedSegments = new LongAdder();
    private final LongAdder relocatedBlocks = new LongAdder();
    private final LongAdder garbageWaits = new LongAdder();
    private final LongAdder payloadBytesWritten = new LongAdder();
    private final LongAdder recordBytesWritten = new LongAdder();
    private final LongAdder encodedBlocks = new LongAdder();
    private final long corruptAtOpen;

    private NvmeTier(NvmeTierConfig cfg) throws IOException, RocksDBException {
        this.cfg = cfg;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
        this.pool = new BufferPool(cfg.bufferPoolBytes());
        this.rocks = new RocksStore(cfg);
        try {
            this.segments = new SegmentStore(cfg.directory().resolve("segments"), rocks.directIo,
                    cfg.effectiveSegmentBytes());
        } catch (IOException | RuntimeException e) {
            rocks.close();
            throw e;
        }
        try {
            this.corruptAtOpen = loadIndex();
        } catch (RuntimeException | RocksDBException e) {
            segments.close();
            rocks.close();
            throw e;
        }
        AtomicInteger n = new AtomicInteger();
        this.io = new ThreadPoolExecutor(cfg.ioThreads(), cfg.ioThreads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(cfg.ioQueue()), r -> daemon(() -> {
                    IN_IO_POOL.set(true); // readAll on a pool thread must not wait for the pool
                    r.run();
                }, cfg.name() + "-io-" + n.incrementAndGet()));
        this.maintenance = Executors.newSingleThreadExecutor(r -> daemon(r, cfg.name() + "-maintenance"));
    }

    /**
     * Opens (or creates) the tier in {@code cfg.directory()} and loads the index of what is stored there.
     *
     * @throws UncheckedIOException if the directory or the database cannot be opened
     */
    public static NvmeTier open(NvmeTierConfig cfg) {
        try {
            return new NvmeTier(cfg);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open NVMe tier in " + cfg.directory(), e);
        } catch (RocksDBException e) {
            throw new UncheckedIOException("cannot open NVMe tier in " + cfg.directory(), new IOException(e));
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Reads every index record; damaged ones, and ones pointing outside the segment files, are deleted. Segments
     * no record points at are deleted (the index just read is what is on disk). Returns how many records were
     * dropped.
     */
    private long loadIndex() throws RocksDBException {
        List<byte[]> damaged = new ArrayList<>();
        try (RocksIterator it = rocks.db.newIterator(rocks.meta, rocks.readOptions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                Entry e = k.length == BlockKey.BYTES ? MetaDescriptor.decode(BlockKey.of(k), it.value()) : null;
                if (e == null || !segments.contains(e.location())) {
                    damaged.add(k);
                } else if (index.put(e.meta().key(), e) == null) {
                    used.addAndGet(footprint(e.meta().length()));
                    segments.addLive(e.location(), e.meta().key(), false);
                }
            }
            it.status();
        }
        for (byte[] k : damaged) {
            rocks.db.delete(rocks.meta, rocks.writeOptions, k);
        }
        if (!damaged.isEmpty()) {
            LOG.warn("{}: dropped {} damaged index records at open", cfg.name(), damaged.size());
        }
        for (SegmentStore.Segment s : List.copyOf(segments.segments())) {
            if (s.reclaimable()) {
                segments.delete(s);
            }
        }
        return damaged.size();
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
        return (long) length + OVERHEAD_BYTES;
    }

    /** The configuration the tier was opened with. */
    public NvmeTierConfig config() {
        return cfg;
    }

    /** True if segment I/O and RocksDB's reads, flushes and compactions bypass the page cache (O_DIRECT). */
    public boolean directIo() {
        return rocks.directIo;
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
            BlockKey key = meta.key();
            if (index.containsKey(key)) {
                return PutOutcome.ALREADY_PRESENT;
            }
            if (used.get() + fp > cfg.capacityBytes()) {
                return PutOutcome.NO_CAPACITY;
            }
            ByteBuffer record = pool.acquire(SegmentStore.Location.padded(
                    RecordDescriptor.maxRecordLength(meta.length(), cfg.codec())));
            try {
                Codec codecUsed = RecordDescriptor.encode(meta, payload, cfg.codec(), record);
                return write(meta, fp, record, codecUsed);
            } finally {
                pool.release(record);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private PutOutcome write(BlockMeta meta, long fp, ByteBuffer record, Codec codecUsed) {
        BlockKey key = meta.key();
        ReentrantLock stripe = stripe(key);
        stripe.lock();
        try {
            if (index.containsKey(key)) {
                return PutOutcome.ALREADY_PRESENT;
            }
            if (!reserve(fp)) {
                return PutOutcome.NO_CAPACITY;
            }
            int recordLength = record.remaining();
            Entry e;
            try {
                e = append(meta, record);
            } catch (IOException | RocksDBException ex) {
                used.addAndGet(-fp);
                errors.increment();
                LOG.warn("{}: put {} failed: {}", cfg.name(), key.shortHex(), ex.toString());
                return PutOutcome.FAILED;
            }
            index.put(key, e);
            segments.addLive(e.location(), key, true);
            payloadBytesWritten.add(meta.length());
            recordBytesWritten.add(recordLength);
            if (codecUsed != Codec.NONE) {
                encodedBlocks.increment();
            }
            if (unflushed.addAndGet(meta.length()) >= cfg.effectiveWriteBufferBytes()) {
                scheduleMaintenance();
            }
            return PutOutcome.STORED;
        } finally {
            stripe.unlock();
        }
    }

    /**
     * Writes {@code record} to a segment, then its index record to RocksDB (in that order: an index record never
     * points at unwritten bytes). The caller holds the key's stripe lock and registers the entry as live.
     */
    private Entry append(BlockMeta meta, ByteBuffer record) throws IOException, RocksDBException {
        SegmentStore.Location loc = segments.reserve(record.remaining());
        try {
            segments.write(loc, record);
            if (cfg.walMode() == WalMode.SYNC) {
                segments.force(loc); // durable before the synced index record
            }
            rocks.db.put(rocks.meta, rocks.writeOptions, meta.key().toBytes(), MetaDescriptor.encode(meta, loc));
        } catch (IOException | RocksDBException | RuntimeException e) {
            segments.abandon(loc);
            throw e;
        }
        return new Entry(meta, loc);
    }

    private boolean reserve(long fp) {
        long u;
        do {
            u = used.get();
            if (u + fp > cfg.capacityBytes()) {
                return false;
            }
        } while (!used.compareAndSet(u, u + fp));
        return true;
    }

    @Override
    public ReadResult read(BlockKey key) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            return readOpen(key);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** One block; the caller holds the lifecycle read lock. */
    private ReadResult readOpen(BlockKey key) {
        for (int attempt = 1; ; attempt++) {
            Entry e = index.get(key);
            if (e == null) {
                misses.increment();
                return ReadResult.miss();
            }
            SegmentStore.Location loc = e.location();
            ByteBuffer buf = pool.acquire(loc.padded());
            String problem;
            try {
                problem = segments.read(loc, buf) ? null : "record missing";
            } catch (java.nio.channels.ClosedByInterruptException | java.io.InterruptedIOException ex) {
                pool.release(buf); // this thread was interrupted: an error, not a damaged block
                errors.increment();
                misses.increment();
                return ReadResult.miss();
            } catch (IOException ex) {
                problem = ex.toString();
            }
            ByteBuffer payload = problem == null ? RecordDescriptor.decode(buf, e.meta()) : null;
            if (payload != null) {
                hits.increment();
                if (!payload.isDirect()) {
                    pool.release(buf); // decoded into its own heap array
                    return ReadResult.hit(RefCountedHandle.create(e.meta(), payload, null));
                }
                return ReadResult.hit(RefCountedHandle.create(e.meta(), payload, () -> pool.release(buf)));
            }
            pool.release(buf);
            if (index.get(key) != e && attempt < READ_ATTEMPTS) {
                continue; // relocated or removed while we read: look again
            }
            if (index.get(key) != e) {
                misses.increment();
                return ReadResult.miss();
            }
            return dropCorrupt(key, e, problem == null ? "record failed verification" : problem);
        }
    }

    /**
     * Reads several blocks in batches of at most {@code maxBatchKeys} keys and {@code maxBatchBytes} payload
     * bytes, each batch in segment order; several batches run in parallel on the I/O pool (the caller waits), so
     * that a long prefix keeps more than one read in flight instead of paying one round trip per block.
     */
    @Override
    public List<ReadResult> readAll(List<BlockKey> keys) {
        List<List<BlockKey>> batches;
        lifecycle.readLock().lock();
        try {
            checkOpen();
            batches = batches(keys);
            if (batches.size() == 1 || IN_IO_POOL.get()) {
                List<ReadResult> out = new ArrayList<>(keys.size());
                for (List<BlockKey> b : batches) {
                    readBatch(b, out);
                }
                return out;
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        return join(readBatchesInParallel(batches));
    }

    /** Splits keys into batches of at most {@code maxBatchKeys} keys and {@code maxBatchBytes} bytes. */
    private List<List<BlockKey>> batches(List<BlockKey> keys) {
        List<List<BlockKey>> out = new ArrayList<>();
        List<BlockKey> batch = new ArrayList<>();
        long batchBytes = 0;
        for (BlockKey k : keys) {
            Entry e = index.get(k);
            long len = e == null ? 0 : e.meta().length();
            if (!batch.isEmpty() && (batch.size() >= cfg.maxBatchKeys() || batchBytes + len > cfg.maxBatchBytes())) {
                out.add(batch);
                batch = new ArrayList<>();
                batchBytes = 0;
            }
            batch.add(k);
            batchBytes += len;
        }
        if (!batch.isEmpty() || out.isEmpty()) {
            out.add(batch);
        }
        return out;
    }

    /** One future per batch, on the I/O pool; a batch the pool refuses runs on the caller's thread. */
    private List<CompletableFuture<List<ReadResult>>> readBatchesInParallel(List<List<BlockKey>> batches) {
        List<CompletableFuture<List<ReadResult>>> parts = new ArrayList<>(batches.size());
        for (List<BlockKey> b : batches) {
            CompletableFuture<List<ReadResult>> f = submit(() -> readBatchOpen(b));
            if (f.isCompletedExceptionally() && !closed.get()) {
                f = CompletableFuture.completedFuture(readBatchOpen(b)); // queue full: read it here
            }
            parts.add(f);
        }
        return parts;
    }

    private List<ReadResult> readBatchOpen(List<BlockKey> b) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            List<ReadResult> out = new ArrayList<>(b.size());
            readBatch(b, out);
            return out;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Waits for every part, in order; if any failed, closes the handles of the others and rethrows. */
    private static List<ReadResult> join(List<CompletableFuture<List<ReadResult>>> parts) {
        List<ReadResult> out = new ArrayList<>();
        RuntimeException failure = null;
        for (CompletableFuture<List<ReadResult>> f : parts) {
            try {
                out.addAll(f.join());
            } catch (java.util.concurrent.CompletionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        if (failure != null) {
            out.stream().filter(ReadResult::isHit).forEach(r -> r.handle().close());
            throw failure;
        }
        return out;
    }

    /** Reads one batch in (segment, offset) order, so that neighbouring records are read in disk order. */
    private void readBatch(List<BlockKey> keys, List<ReadResult> out) {
        Integer[] order = new Integer[keys.size()];
        long[] segment = new long[keys.size()];
        long[] offset = new long[keys.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            Entry e = index.get(keys.get(i));
            segment[i] = e == null ? -1 : e.location().segment();
            offset[i] = e == null ? -1 : e.location().offset();
        }
        java.util.Arrays.sort(order, (x, y) -> segment[x] != segment[y] ? Long.compare(segment[x], segment[y])
                : Long.compare(offset[x], offset[y]));
        ReadResult[] results = new ReadResult[order.length];
        try {
            for (int i : order) {
                results[i] = readOpen(keys.get(i));
            }
        } catch (RuntimeException e) {
            for (ReadResult r : results) {
                if (r != null && r.isHit()) {
                    r.handle().close();
                }
            }
            throw e;
        }
        out.addAll(java.util.Arrays.asList(results));
    }

    private ReadResult dropCorrupt(BlockKey key, Entry e, String why) {
        corrupt.increment();
        LOG.warn("{}: block {} is corrupt ({}); dropped", cfg.name(), key.shortHex(), why);
        removeIf(key, e);
        return ReadResult.corrupt();
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
    private boolean removeIf(BlockKey key, Entry expected) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            ReentrantLock stripe = stripe(key);
            stripe.lock();
            try {
                Entry e = index.get(key);
                if (e == null || (expected != null && e != expected)) {
                    return false;
                }
                index.remove(key);
                try {
                    rocks.db.delete(rocks.meta, rocks.writeOptions, key.toBytes());
                } catch (RocksDBException ex) {
                    errors.increment(); // the record may come back at the next open; the store then drops it again
                    LOG.warn("{}: delete {} failed: {}", cfg.name(), key.shortHex(), ex.toString());
                }
                segments.removeLive(e.location(), key);
                used.addAndGet(-footprint(e.meta().length()));
                if (segments.garbageBytes() > softGarbageLimit()) {
                    scheduleMaintenance();
                }
                return true;
            } finally {
                stripe.unlock();
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public void forEach(Consumer<BlockMeta> visitor) {
        checkOpen();
        index.values().forEach(e -> visitor.accept(e.meta()));
    }

    @Override
    public TierStats stats() {
        checkOpen();
        Map<String, Long> d = new LinkedHashMap<>();
        d.put("errors", errors.sum());
        d.put("busy", busy.sum());
        d.put("corrupt_at_open", corruptAtOpen);
        d.put("index_flushes", indexFlushes.sum());
        d.put("reclaimed_segments", reclaimedSegments.sum());
        d.put("relocated_blocks", relocatedBlocks.sum());
        d.put("garbage_waits", garbageWaits.sum());
        d.put("payload_bytes_written", payloadBytesWritten.sum());
        d.put("record_bytes_written", recordBytesWritten.sum());
        d.put("encoded_blocks", encodedBlocks.sum());
        d.put("direct_io", rocks.directIo ? 1L : 0L);
        d.put("buffer_allocations", pool.allocations());
        d.put("buffer_pool_bytes", pool.pooledBytes());
        d.put("segments", (long) segments.segments().size());
        d.put("segment_bytes", segments.totalBytes());
        d.put("segment_garbage_bytes", segments.garbageBytes());
        lifecycle.readLock().lock();
        try {
            if (!closed.get()) {
                d.put("sst_bytes", rocks.property(rocks.meta, "rocksdb.total-sst-files-size"));
                d.put("memtable_bytes", rocks.property(rocks.meta, "rocksdb.cur-size-all-mem-tables"));
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        return new TierStats(cfg.name(), cfg.capacityBytes(), used.get(), index.size(), hits.sum(), misses.sum(),
                corrupt.sum(), d);
    }

    // ------------------------------------------------------------------------------------------------ async

    /** {@link #read} on the tier's I/O pool. The caller owns the handle of a HIT once the future completes. */
    public CompletableFuture<ReadResult> readAsync(BlockKey key) {
        return submit(() -> read(key));
    }

    /** {@link #readAll} on the tier's I/O pool, batches in parallel. The caller owns every handle once it completes. */
    public CompletableFuture<List<ReadResult>> readAllAsync(List<BlockKey> keys) {
        checkOpen();
        List<CompletableFuture<List<ReadResult>>> parts = new ArrayList<>();
        for (List<BlockKey> b : batches(List.copyOf(keys))) {
            parts.add(submit(() -> readBatchOpen(b)));
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).handle((v, t) -> join(parts));
    }

    /**
     * {@link #put} on the tier's I/O pool. The caller must not change {@code payload}'s bytes until the future
     * completes.
     */
    public CompletableFuture<PutOutcome> putAsync(BlockMeta meta, ByteBuffer payload) {
        ByteBuffer view = payload.duplicate();
        return submit(() -> put(meta, view));
    }

    private <T> CompletableFuture<T> submit(Supplier<T> op) {
        checkOpen();
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            io.execute(() -> {
                try {
                    f.complete(op.get());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            busy.increment();
            f.completeExceptionally(closed.get() ? new TierClosedException("tier " + cfg.name()) : e);
        }
        return f;
    }

    // ------------------------------------------------------------------------------------------ maintenance

    private long softGarbageLimit() {
        return Math.max(1, (long) (cfg.capacityBytes() * cfg.garbageRatio()));
    }

    /** Starts a background maintenance round (index flush, segment reclaim) unless one is running; returns it. */
    private synchronized CompletableFuture<Void> scheduleMaintenance() {
        if (!maintaining.isDone() || closed.get()) {
            return maintaining;
        }
        try {
            maintaining = CompletableFuture.runAsync(this::maintain, maintenance);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null); // closing
        }
        return maintaining;
    }

    /**
     * Flushes the index if {@code writeBufferBytes} of payload were put since the last flush, then, while garbage
     * is above the soft limit, reclaims: deletes segments that hold no live block (after an index flush, so that
     * the deletions that emptied them are durable) and, if that is not enough, relocates the live blocks of the
     * segment with the most garbage.
     */
    private void maintain() {
        try {
            if (unflushed.get() >= cfg.effectiveWriteBufferBytes()) {
                flushIndex();
            }
            for (int round = 0; round < 64 && !closed.get() && segments.garbageBytes() > softGarbageLimit();
                 round++) {
                if (!reclaimRound()) {
                    break;
                }
            }
        } catch (RocksDBException | IOException | RuntimeException e) {
            if (!closed.get()) {
                errors.increment();
                LOG.warn("{}: maintenance failed: {}", cfg.name(), e.toString());
            }
        }
    }

    /** Syncs the active segment, then flushes the index: every flushed index record's bytes are durable. */
    private void flushIndex() throws IOException, RocksDBException {
        unflushed.set(0);
        segments.force();
        rocks.flush();
        indexFlushes.increment();
    }

    /** One reclaim step; returns false if it could not free anything. */
    private boolean reclaimRound() throws IOException, RocksDBException {
        segments.sealActiveIfGarbage();
        List<SegmentStore.Segment> dead = new ArrayList<>();
        SegmentStore.Segment worst = null;
        for (SegmentStore.Segment s : segments.segments()) {
            if (s.reclaimable()) {
                dead.add(s);
            } else if (s.sealed && s.writers.get() == 0 && (worst == null || s.garbage() > worst.garbage())) {
                worst = s;
            }
        }
        if (dead.isEmpty()) {
            if (worst == null || worst.garbage() == 0) {
                return false;
            }
            relocate(worst);
            if (!worst.reclaimable()) {
                return false;
            }
            dead.add(worst);
        }
        flushIndex(); // the deletes (and relocations) that emptied these segments are durable from here
        for (SegmentStore.Segment s : dead) {
            if (s.reclaimable()) {
                segments.delete(s);
                reclaimedSegments.increment();
            }
        }
        return true;
    }

    /** Moves every live block of {@code s} to the active segment (verified on the way: a bad one is dropped). */
    private void relocate(SegmentStore.Segment s) throws IOException, RocksDBException {
        for (BlockKey key : List.copyOf(s.keys)) {
            lifecycle.readLock().lock();
            ReentrantLock stripe = stripe(key);
            stripe.lock();
            try {
                if (closed.get()) {
                    return;
                }
                Entry e = index.get(key);
                if (e == null || e.location().segment() != s.id) {
                    continue;
                }
                ByteBuffer buf = pool.acquire(e.location().padded());
                try {
                    if (!segments.read(e.location(), buf) || RecordDescriptor.decode(buf, e.meta()) == null) {
                        corrupt.increment();
                        LOG.warn("{}: block {} is corrupt (found while relocating); dropped", cfg.name(),
                                key.shortHex());
                        index.remove(key);
                        rocks.db.delete(rocks.meta, rocks.writeOptions, key.toBytes());
                        segments.removeLive(e.location(), key);
                        used.addAndGet(-footprint(e.meta().length()));
                        continue;
                    }
                    buf.position(0).limit(e.location().length());
                    Entry moved = append(e.meta(), buf);
                    index.put(key, moved);
                    segments.addLive(moved.location(), key, true);
                    segments.removeLive(e.location(), key);
                    relocatedBlocks.increment();
                } finally {
                    pool.release(buf);
                }
            } finally {
                stripe.unlock();
                lifecycle.readLock().unlock();
            }
        }
    }

    /**
     * Backpressure: a writer waits while segment garbage is above twice the soft limit and reclaim progresses. The
     * store calls this before it takes its lock for a put ({@link Tier#awaitWritable}); {@link #put} itself never
     * waits for reclaim, because a put is often a demotion made under the store's lock, and waiting there (seconds
     * on a full tier) stalled every reader of the store. Garbage made by puts already past this point (a few blocks
     * per writer) is reclaimed by the round under way.
     */
    @Override
    public void awaitWritable() {
        long before = Long.MAX_VALUE;
        long g;
        while (!closed.get() && (g = segments.garbageBytes()) > 2 * softGarbageLimit() && g < before) {
            garbageWaits.increment();
            before = g;
            scheduleMaintenance().join();
        }
    }

    /**
     * Reclaims now and waits (tests, benchmarks, operators): the index is flushed, segments that held only removed
     * blocks are deleted, segments with garbage are relocated until none is left, and the index is compacted.
     * Runs on the maintenance thread, so it never races a background round.
     */
    public void compactNow() {
        checkOpen();
        try {
            CompletableFuture.runAsync(() -> {
                try {
                    flushIndex();
                    for (int i = 0; i < 1024 && !closed.get() && segments.garbageBytes() > 0 && reclaimRound(); i++) {
                        // until nothing more comes back
                    }
                    rocks.compact();
                } catch (IOException | RocksDBException e) {
                    errors.increment();
                    throw new UncheckedIOException(new IOException("compaction failed", e));
                }
            }, maintenance).join();
        } catch (RejectedExecutionException e) {
            throw new TierClosedException("tier " + cfg.name());
        }
    }

    /** Syncs the segments and flushes the index, and waits (the blocks stored so far survive a crash afterwards). */
    public void flush() {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            flushIndex();
        } catch (IOException | RocksDBException e) {
            errors.increment();
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
        io.shutdown();
        maintenance.shutdown();
        // Before the write lock: a background round takes the read lock per step, so waiting for it while holding
        // the write lock hung close for the pool's whole 60 s timeout (issue 15, NvmeCloseTest).
        awaitQuietly(io);
        awaitQuietly(maintenance);
        lifecycle.writeLock().lock();
        try {
            try {
                flushIndex(); // without a WAL, this is what makes a clean shutdown lose nothing
            } catch (IOException | RocksDBException e) {
                LOG.warn("{}: flush at close failed: {}", cfg.name(), e.toString());
            }
            rocks.db.cancelAllBackgroundWork(true);
            segments.close();
            rocks.close();
            index.clear();
            used.set(0);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private static void awaitQuietly(ExecutorService ex) {
        try {
            if (!ex.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("executor did not stop within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new TierClosedException("tier " + cfg.name());
        }
    }

    private ReentrantLock stripe(BlockKey key) {
        return stripes[(key.hashCode() & 0x7fffffff) % STRIPES];
    }
}
