package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.core.tier.TierStats;
import org.rocksdb.ByteBufferGetStatus;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
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
 * The NVMe tier: blocks in RocksDB on a local disk, surviving restarts and crashes.
 *
 * <h2>How the pieces fit</h2>
 * A put writes two records in one atomic {@code WriteBatch}: the block record ({@link RecordDescriptor}: a
 * checksummed header and the payload, encoded by the configured {@link Codec}) in the {@code blocks} column
 * family, where BlobDB moves it into a blob file at flush, and a 61-byte metadata record
 * ({@link MetaDescriptor}) in the {@code default} column family. An in-memory index (key to metadata) answers
 * {@link #meta}, {@link #contains} and {@link #forEach} without I/O; it is rebuilt at open from the metadata
 * column family alone, so opening a full disk reads no payload. Every read verifies the record against the
 * index's metadata; a record that fails any check is a {@link ReadResult.Outcome#CORRUPT}: it is deleted,
 * counted and never served.
 *
 * <h2>Capacity</h2>
 * Logical capacity is enforced on every put (the sum of {@link #footprint} of stored blocks never passes
 * {@code capacityBytes}; a put that does not fit answers {@link PutOutcome#NO_CAPACITY}); eviction is the
 * store's decision, through its policy. Deleted payloads occupy disk until compaction drops their references
 * and RocksDB deletes blob files that hold only garbage, so the tier counts the bytes removed since the last
 * compaction and compacts in the background when they pass {@code garbageRatio} of the capacity; at twice that,
 * writers wait in {@link #awaitWritable}, outside the store's lock ({@link #put} itself never waits: it may be a
 * demotion made under that lock). If a compaction leaves more than that fraction of
 * garbage in blob files that still hold live blocks, one more compaction runs with blob garbage collection on,
 * which relocates them. This
 * keeps the directory within capacity + 10% (measured by {@code NvmeCapacityTest}; see docs/tiers.md).
 *
 * <h2>Threads</h2>
 * All methods are thread-safe and blocking (they do disk I/O). Callers on event-loop threads use the async
 * variants ({@link #readAsync}, {@link #readAllAsync}, {@link #putAsync}), which run on the tier's bounded pool
 * ({@code ioThreads} threads, {@code ioQueue} queued operations; beyond that the future fails at once with
 * {@link RejectedExecutionException}: backpressure, never an unbounded queue). Puts and removes of the same key
 * are serialized by striped locks; reads take no per-key lock. {@link #close()} waits for operations in flight,
 * flushes memtables (so a clean shutdown loses nothing even without a WAL) and closes RocksDB.
 *
 * <h2>Buffers</h2>
 * Payloads are copied on put; the caller keeps its buffer. Records are encoded into, and read into, pooled
 * direct buffers ({@link BufferPool}, bounded by {@code bufferPoolBytes}), so a read is one copy out of RocksDB
 * and no allocation in the steady state. A hit's handle is a zero-copy view of its buffer (or of its own heap
 * array if the record was compressed); the buffer goes back to the pool when the last handle is closed, so a
 * handle stays valid after a remove or close.
 */
public final class NvmeTier implements Tier {

    private static final Logger LOG = LoggerFactory.getLogger(NvmeTier.class);
    /** Bytes counted per block on top of its payload: record header, keys, metadata record, index entries. */
    public static final int OVERHEAD_BYTES = 4096;
    private static final int STRIPES = 64;

    private final NvmeTierConfig cfg;
    private final RocksStore rocks;
    private final Map<BlockKey, BlockMeta> index = new ConcurrentHashMap<>();
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong unreclaimed = new AtomicLong();
    private static final ThreadLocal<Boolean> IN_IO_POOL = ThreadLocal.withInitial(() -> false);
    private static final ThreadLocal<ByteBuffer> KEY_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BlockKey.BYTES));

    private final BufferPool pool;
    private final ThreadPoolExecutor io;
    private final ExecutorService maintenance;
    private CompletableFuture<Void> compaction = CompletableFuture.completedFuture(null);

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder busy = new LongAdder();
    private final LongAdder compactions = new LongAdder();
    private final LongAdder gcCompactions = new LongAdder();
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
            this.corruptAtOpen = loadIndex();
        } catch (RuntimeException | RocksDBException e) {
            rocks.close();
            throw e;
        }
        AtomicInteger n = new AtomicInteger();
        this.io = new ThreadPoolExecutor(cfg.ioThreads(), cfg.ioThreads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(cfg.ioQueue()), r -> daemon(() -> {
                    IN_IO_POOL.set(true); // readAll on a pool thread must not wait for the pool
                    r.run();
                }, cfg.name() + "-io-" + n.incrementAndGet()));
        this.maintenance = Executors.newSingleThreadExecutor(r -> daemon(r, cfg.name() + "-compaction"));
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

    /** Reads every metadata record; damaged ones are deleted with their blocks. Returns how many were. */
    private long loadIndex() throws RocksDBException {
        List<byte[]> damaged = new ArrayList<>();
        try (RocksIterator it = rocks.db.newIterator(rocks.meta, rocks.readOptions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                BlockMeta m = k.length == BlockKey.BYTES ? MetaDescriptor.decode(BlockKey.of(k), it.value()) : null;
                if (m == null) {
                    damaged.add(k);
                } else if (index.put(m.key(), m) == null) {
                    used.addAndGet(footprint(m.length()));
                }
            }
            it.status();
        }
        for (byte[] k : damaged) {
            try (WriteBatch b = new WriteBatch()) {
                b.delete(rocks.meta, k);
                b.delete(rocks.blocks, k);
                rocks.db.write(rocks.writeOptions, b);
            }
        }
        if (!damaged.isEmpty()) {
            LOG.warn("{}: dropped {} damaged metadata records at open", cfg.name(), damaged.size());
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

    /** True if reads, flushes and compactions bypass the page cache (O_DIRECT). */
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
            ByteBuffer record = pool.acquire(RecordDescriptor.maxRecordLength(meta.length(), cfg.codec()));
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
            try (WriteBatch b = new WriteBatch()) {
                b.put(rocks.meta, key.toBytes(), MetaDescriptor.encode(meta));
                b.put(rocks.blocks, directKey(key), record);
                rocks.db.write(rocks.writeOptions, b);
            } catch (RocksDBException e) {
                used.addAndGet(-fp);
                errors.increment();
                LOG.warn("{}: put {} failed: {}", cfg.name(), key.shortHex(), e.toString());
                return PutOutcome.FAILED;
            }
            index.put(key, meta);
            payloadBytesWritten.add(meta.length());
            recordBytesWritten.add(recordLength);
            if (codecUsed != Codec.NONE) {
                encodedBlocks.increment();
            }
            return PutOutcome.STORED;
        } finally {
            stripe.unlock();
        }
    }

    /** The key in this thread's direct buffer (RocksDB's ByteBuffer calls take direct buffers only). */
    private static ByteBuffer directKey(BlockKey key) {
        ByteBuffer b = KEY_BUFFER.get();
        b.clear();
        key.writeTo(b);
        return b.flip();
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
            BlockMeta m = index.get(key);
            if (m == null) {
                misses.increment();
                return ReadResult.miss();
            }
            ByteBuffer buf = pool.acquire(RecordDescriptor.HEADER_LENGTH + m.length());
            int n;
            try {
                n = rocks.db.get(rocks.blocks, rocks.readOptions, directKey(key), buf);
            } catch (RocksDBException e) {
                pool.release(buf);
                return failedRead(key, m, e);
            }
            return finishRead(key, m, buf, n);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Reads several blocks with RocksDB MultiGet, at most {@code maxBatchKeys} keys and {@code maxBatchBytes}
     * payload bytes per call, so that a long prefix of small blocks costs one batched round of I/O per batch
     * rather than one per block. The byte bound exists because MultiGet of MiB-sized blobs got slower per byte as
     * batches grew past 4 MiB (measured: 2 MiB blocks read at 0.78 GB/s in pairs, 0.32 GB/s in batches of 8).
     * Several batches are read in parallel on the I/O pool (the caller waits), so that a long prefix keeps more
     * than one read in flight.
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

    /**
     * Splits keys into MultiGet batches of at most {@code maxBatchKeys} keys and {@code maxBatchBytes} bytes. */
    private List<List<BlockKey>> batches(List<BlockKey> keys) {
        List<List<BlockKey>> out = new ArrayList<>();
        List<BlockKey> batch = new ArrayList<>();
        long batchBytes = 0;
        for (BlockKey k : keys) {
            BlockMeta m = index.get(k);
            long len = m == null ? 0 : m.length();
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

    private void readBatch(List<BlockKey> keys, List<ReadResult> out) {
        BlockMeta[] metas = new BlockMeta[keys.size()];
        List<ByteBuffer> keyBufs = new ArrayList<>(keys.size());
        List<ByteBuffer> values = new ArrayList<>(keys.size());
        ByteBuffer keyArea = pool.acquire(keys.size() * BlockKey.BYTES);
        try {
            for (int i = 0; i < keys.size(); i++) {
                metas[i] = index.get(keys.get(i));
                if (metas[i] != null) {
                    ByteBuffer k = keyArea.duplicate().position(i * BlockKey.BYTES).limit((i + 1) * BlockKey.BYTES)
                            .slice();
                    keys.get(i).writeTo(k);
                    keyBufs.add(k.flip());
                    values.add(pool.acquire(RecordDescriptor.HEADER_LENGTH + metas[i].length()));
                }
            }
            List<ByteBufferGetStatus> got;
            try {
                got = keyBufs.isEmpty() ? List.of() : rocks.db.multiGetByteBuffers(rocks.readOptions,
                        Collections.nCopies(keyBufs.size(), rocks.blocks), keyBufs, values);
            } catch (RocksDBException e) {
                values.forEach(pool::release);
                for (BlockKey k : keys) {
                    out.add(read(k)); // one bad record must not fail its neighbours: retry one by one
                }
                return;
            }
            int j = 0;
            for (int i = 0; i < keys.size(); i++) {
                if (metas[i] == null) {
                    misses.increment();
                    out.add(ReadResult.miss());
                    continue;
                }
                ByteBufferGetStatus st = got.get(j);
                ByteBuffer buf = values.get(j++);
                Status.Code code = st.status.getCode();
                if (code == Status.Code.Ok || code == Status.Code.NotFound) {
                    out.add(finishRead(keys.get(i), metas[i], buf, code == Status.Code.Ok ? st.requiredSize
                            : RocksDB.NOT_FOUND));
                } else {
                    pool.release(buf);
                    out.add(failedRead(keys.get(i), metas[i], new RocksDBException(st.status)));
                }
            }
        } finally {
            pool.release(keyArea);
        }
    }

    /** Verifies a record read into {@code buf} ({@code size} bytes, or NOT_FOUND); owns {@code buf} from here. */
    private ReadResult finishRead(BlockKey key, BlockMeta m, ByteBuffer buf, int size) {
        if (size == RocksDB.NOT_FOUND) {
            pool.release(buf);
            if (index.get(key) == m) {
                return dropCorrupt(key, m, "record missing"); // indexed but gone: never serve, drop the entry
            }
            misses.increment(); // removed meanwhile
            return ReadResult.miss();
        }
        if (size > buf.capacity()) {
            pool.release(buf);
            return dropCorrupt(key, m, "record longer than its metadata allows");
        }
        buf.position(0).limit(size);
        ByteBuffer payload = RecordDescriptor.decode(buf, m);
        if (payload == null) {
            pool.release(buf);
            return dropCorrupt(key, m, "record failed verification");
        }
        hits.increment();
        if (!payload.isDirect()) {
            pool.release(buf); // decoded into its own heap array
            return ReadResult.hit(RefCountedHandle.create(m, payload, null));
        }
        return ReadResult.hit(RefCountedHandle.create(m, payload, () -> pool.release(buf)));
    }

    private ReadResult failedRead(BlockKey key, BlockMeta m, RocksDBException e) {
        Status.Code code = e.getStatus() == null ? null : e.getStatus().getCode();
        if (code == Status.Code.Corruption || code == Status.Code.IOError) {
            return dropCorrupt(key, m, e.toString());
        }
        errors.increment();
        misses.increment();
        LOG.warn("{}: read {} failed: {}", cfg.name(), key.shortHex(), e.toString());
        return ReadResult.miss();
    }

    private ReadResult dropCorrupt(BlockKey key, BlockMeta m, String why) {
        corrupt.increment();
        LOG.warn("{}: block {} is corrupt ({}); dropped", cfg.name(), key.shortHex(), why);
        removeIf(key, m);
        return ReadResult.corrupt();
    }

    @Override
    public Optional<BlockMeta> meta(BlockKey key) {
        checkOpen();
        return Optional.ofNullable(index.get(key));
    }

    @Override
    public boolean remove(BlockKey key) {
        return removeIf(key, null);
    }

    /** Removes the block if it is stored (and, with {@code expected} non-null, still has that metadata). */
    private boolean removeIf(BlockKey key, BlockMeta expected) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            ReentrantLock stripe = stripe(key);
            stripe.lock();
            try {
                BlockMeta m = index.get(key);
                if (m == null || (expected != null && m != expected)) {
                    return false;
                }
                index.remove(key);
                byte[] k = key.toBytes();
                try (WriteBatch b = new WriteBatch()) {
                    b.delete(rocks.meta, k);
                    b.delete(rocks.blocks, k);
                    rocks.db.write(rocks.writeOptions, b);
                } catch (RocksDBException e) {
                    errors.increment(); // the record may come back at the next open; the store then drops it again
                    LOG.warn("{}: delete {} failed: {}", cfg.name(), key.shortHex(), e.toString());
                }
                long fp = footprint(m.length());
                used.addAndGet(-fp);
                if (unreclaimed.addAndGet(fp) > softGarbageLimit()) {
                    scheduleCompaction();
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
        index.values().forEach(visitor);
    }

    @Override
    public TierStats stats() {
        checkOpen();
        Map<String, Long> d = new LinkedHashMap<>();
        d.put("errors", errors.sum());
        d.put("busy", busy.sum());
        d.put("corrupt_at_open", corruptAtOpen);
        d.put("compactions", compactions.sum());
        d.put("gc_compactions", gcCompactions.sum());
        d.put("garbage_waits", garbageWaits.sum());
        d.put("unreclaimed_bytes", unreclaimed.get());
        d.put("payload_bytes_written", payloadBytesWritten.sum());
        d.put("record_bytes_written", recordBytesWritten.sum());
        d.put("encoded_blocks", encodedBlocks.sum());
        d.put("direct_io", rocks.directIo ? 1L : 0L);
        d.put("buffer_allocations", pool.allocations());
        d.put("buffer_pool_bytes", pool.pooledBytes());
        lifecycle.readLock().lock();
        try {
            if (!closed.get()) {
                d.put("blob_file_bytes", rocks.property(rocks.blocks, "rocksdb.total-blob-file-size"));
                d.put("blob_garbage_bytes", rocks.property(rocks.blocks, "rocksdb.live-blob-file-garbage-size"));
                d.put("sst_bytes", rocks.property(rocks.blocks, "rocksdb.total-sst-files-size")
                        + rocks.property(rocks.meta, "rocksdb.total-sst-files-size"));
                d.put("memtable_bytes", rocks.property(rocks.blocks, "rocksdb.cur-size-all-mem-tables"));
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

    /** {@link #readAll} (MultiGet) on the tier's I/O pool. The caller owns every handle once it completes. */
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

    /** Starts a background compaction unless one is running; returns it. */
    private synchronized CompletableFuture<Void> scheduleCompaction() {
        if (!compaction.isDone() || closed.get()) {
            return compaction;
        }
        try {
            compaction = CompletableFuture.runAsync(this::runCompaction, maintenance);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null); // closing
        }
        return compaction;
    }

    private void runCompaction() {
        do {
            unreclaimed.set(0); // removes from now on are garbage for the next round
            try {
                rocks.compact(false);
                compactions.increment();
                long blobBytes = rocks.property(rocks.blocks, "rocksdb.live-blob-file-size");
                if (blobBytes > used.get() + softGarbageLimit()) {
                    // garbage stuck in files that still hold live blocks: relocate those blocks
                    rocks.compact(true);
                    gcCompactions.increment();
                }
            } catch (RocksDBException e) {
                if (!closed.get()) {
                    errors.increment();
                    LOG.warn("{}: compaction failed: {}", cfg.name(), e.toString());
                }
                return;
            }
        } while (!closed.get() && unreclaimed.get() > softGarbageLimit());
    }

    /**
     * Backpressure: the writer waits (outside the store's lock, see {@link Tier#awaitWritable}) while
     * removed-but-unreclaimed bytes are above twice the soft limit, i.e. until the compaction has reclaimed them.
     * {@link #put} itself never waits for a compaction: a put is often a demotion made under the store's lock,
     * and waiting there (seconds on a full tier) stalled every reader of the store. Garbage made by the evictions
     * of puts already past this point (at most a few blocks per writer) is reclaimed by the compaction under way.
     */
    @Override
    public void awaitWritable() {
        while (!closed.get() && unreclaimed.get() > 2 * softGarbageLimit()) {
            garbageWaits.increment();
            scheduleCompaction().join();
        }
    }

    /**
     * Compacts now and waits (tests, benchmarks, operators): memtables are flushed, deletes are processed and blob
     * files that held only deleted blocks are gone when it returns.
     */
    public void compactNow() {
        checkOpen();
        scheduleCompaction().join();
        scheduleCompaction().join(); // the first may have started before the caller's last remove
    }

    /** Writes memtables to disk and waits (the blocks stored so far survive a crash afterwards). */
    public void flush() {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            rocks.flush();
        } catch (RocksDBException e) {
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
        awaitQuietly(io);
        lifecycle.writeLock().lock();
        try {
            try {
                rocks.flush(); // without a WAL, this is what makes a clean shutdown lose nothing
            } catch (RocksDBException e) {
                LOG.warn("{}: flush at close failed: {}", cfg.name(), e.toString());
            }
            rocks.db.cancelAllBackgroundWork(true);
            maintenance.shutdown();
            awaitQuietly(maintenance);
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
