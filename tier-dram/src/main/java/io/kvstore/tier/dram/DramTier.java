package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.SharedMemoryExport;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.core.tier.TierReservation;
import io.kvstore.core.tier.TierStats;
import io.kvstore.tier.dram.IndexRecordDescriptor.IndexRecord;
import net.openhft.chronicle.map.ChronicleMap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;

/**
 * The off-heap DRAM tier: payloads in a {@link PageArena} of fixed-size pages, the index in a Chronicle Map,
 * reads served as zero-copy, ref-counted, read-only views.
 *
 * <h2>How the pieces fit</h2>
 * A put allocates a run of contiguous pages (best fit), copies the payload into it with one bulk copy, then
 * publishes an {@link IndexRecordDescriptor index record} with {@code putIfAbsent} (a duplicate gives its pages
 * back and answers {@link PutOutcome#ALREADY_PRESENT}) (key to allocation id, first page and metadata). A
 * {@link #reserve reservation} allocates the run the same way and hands a writable view of it to the caller (a
 * network door receives the payload into it); its commit publishes the record as a put does, its abort frees
 * the pages, so the bytes are written once, where they will be read. A read
 * looks the key up, takes a reference on the run through the arena (which re-checks that the run still belongs
 * to that record, so a stale record is a miss and never someone else's bytes), and wraps a slice of the arena
 * in a {@link RefCountedHandle} whose release gives the reference back: nothing is copied, and the cost does not
 * depend on the block's size. A remove deletes the record and drops the index's reference; the pages return to
 * the allocator when the last reader closes its handle, so memory is never reused under a reader.
 *
 * <h2>Capacity</h2>
 * The arena has exactly {@code ceil(capacity / pageSize)} pages, so the tier can never hold more; a put that
 * finds no free run of the needed length answers {@link PutOutcome#NO_CAPACITY}. {@link #footprint} rounds a
 * payload up to whole pages, which is what the store's policy weighs and its watermarks compare. Eviction is the
 * store's decision (through the policy SPI); this tier only stores, serves and removes.
 *
 * <h2>Integrity</h2>
 * Bytes written by this process into its private memory are trusted: they are checksummed when they arrive (by
 * the store) and nothing but this process writes them. Bytes that lived in files while the process was away
 * are not: after a warm restart every block is verified against its CRC32C before it is first served (on its
 * first read, or all at open, see {@link DramTierConfig.RestartVerification}); a block that fails is a miss,
 * is removed and counted in {@code corrupt}. See docs/tiers.md for the reasoning.
 *
 * <h2>Persistence</h2>
 * With a {@code persistDirectory} the arena segments and the Chronicle Map are memory-mapped files there, plus a
 * small {@code arena.properties} with the geometry; reopening finds the blocks again. Bytes are written before
 * their record is published, so a crash leaves at worst pages without a record (free again at the next start)
 * or a record whose bytes fail their checksum (dropped). A geometry change or an unreadable index starts cold
 * ({@link #coldStartReason()} says why). One process at a time: an OS lock on {@code arena.lock} is held while the
 * tier is open ({@link DramTierInUseException} for a second opener). After a process died with the tier open (no
 * {@code closed-cleanly} marker), the index is opened with Chronicle Map's recovery, which releases the segment
 * locks the dead process may have held.
 *
 * <p>Thread-safety: all methods may be called concurrently. Handles stay valid after {@link #close()} until
 * they are closed themselves; the arena's memory is released after the last one.
 */
public final class DramTier implements Tier {

    /**
     * A note the tier's user may leave in the directory saying whose arena it is (the server writes its data dir
     * there); {@link #deleteIfUnused} counts it as one of the tier's files.
     */
    public static final String OWNER_FILE = "owner";
    private final DramTierConfig config;
    private final PageArena arena;
    private final ChronicleMap<byte[], byte[]> index;
    private final AtomicLong nextId = new AtomicLong(1);
    private final DramCounters counters = new DramCounters();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final DirectoryLock lock;
    private final ArenaFiles files;

    private DramTier(DramTierConfig config, DoubleConsumer restartProgress) throws IOException {
        this.config = config;
        this.files = new ArenaFiles(config);
        if (!config.persistent()) {
            this.lock = null;
            this.arena = PageArena.anonymous(config);
            this.index = files.memoryIndex();
            return;
        }
        ArenaFiles.Opened opened = files.open(config.persistDirectory());
        this.lock = opened.lock();
        this.index = opened.index();
        this.arena = opened.arena();
        try {
            reload(restartProgress);
        } catch (RuntimeException | Error e) {
            index.close();
            arena.close();
            lock.close();
            throw e;
        }
    }

    /**
     * Opens a tier: a new one, or with a persist directory the one found there (warm restart).
     *
     * @throws UncheckedIOException if the persist directory cannot be used
     */
    public static DramTier open(DramTierConfig config) {
        return open(config, fraction -> { });
    }

    /**
     * Opens a tier as {@link #open(DramTierConfig)} does, reporting how far the warm restart's pass over the index
     * has come (0..1, at most about a hundred calls, from the opening thread) to {@code restartProgress}.
     */
    public static DramTier open(DramTierConfig config, DoubleConsumer restartProgress) {
        try {
            return new DramTier(config, restartProgress);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open DRAM tier " + config.name(), e);
        }
    }

    // ------------------------------------------------------------------------------------------ warm restart

    private void reload(DoubleConsumer progress) {
        WarmRestart.Found f = WarmRestart.reload(index, arena, config, progress);
        counters.corrupt.add(f.corrupt());
        counters.verifiedAfterRestart.add(f.verified());
        counters.usedBytes.set(f.footprintBytes());
        counters.blocks.set(f.blocks());
        nextId.set(f.maxId() + 1);
        counters.restartBlocks = f.blocks();
    }

    /** The index record of a key, or null if absent or malformed. */
    private IndexRecord lookup(byte[] key) {
        byte[] v = index.get(key);
        return v == null ? null : IndexRecordDescriptor.decodeOrNull(key, v);
    }

    // -------------------------------------------------------------------------------------------- the SPI

    @Override
    public String name() {
        return config.name();
    }

    /** The capacity rounded up to whole pages: exactly the arena's size. */
    @Override
    public long capacityBytes() {
        return (long) arena.totalPages() * arena.pageSize();
    }

    @Override
    public long usedBytes() {
        return counters.usedBytes.get();
    }

    @Override
    public long blockCount() {
        return counters.blocks.get();
    }

    /** Whole pages: {@code max(1, ceil(length / pageSize)) * pageSize}. */
    @Override
    public long footprint(int length) {
        return (long) arena.pagesFor(length) * arena.pageSize();
    }

    @Override
    public PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        if (payload.remaining() != meta.length()) {
            throw new IllegalArgumentException("payload has " + payload.remaining() + " bytes, metadata says "
                    + meta.length());
        }
        enter();
        try {
            int pages = arena.pagesFor(meta.length());
            if (pages > arena.pagesPerSegment() || pages > arena.totalPages()) {
                return PutOutcome.TOO_LARGE;
            }
            byte[] key = meta.key().toBytes();
            // no separate presence check on the way in (one index operation less per put): the store only puts
            // keys it does not have, and putIfAbsent below settles a duplicate anyway
            long id = nextId.getAndIncrement();
            int first = arena.allocate(pages, id);
            if (first < 0) {
                return noRun(key, pages);
            }
            arena.write(first, payload);
            if (index.putIfAbsent(key, IndexRecordDescriptor.encode(id, first, meta)) != null) {
                arena.release(first);
                return PutOutcome.ALREADY_PRESENT;
            }
            counters.usedBytes.addAndGet((long) pages * arena.pageSize());
            counters.blocks.incrementAndGet();
            return PutOutcome.STORED;
        } finally {
            leave();
        }
    }

    /**
     * A run of pages for the block, written in place by the caller (see {@link DramReservation}); the same
     * outcomes as {@link #put}, decided the same way, except that a duplicate key is found at commit.
     */
    @Override
    public TierReservation.Attempt reserve(BlockMeta meta) {
        enter();
        try {
            int pages = arena.pagesFor(meta.length());
            if (pages > arena.pagesPerSegment() || pages > arena.totalPages()) {
                return TierReservation.Attempt.refused(PutOutcome.TOO_LARGE);
            }
            long id = nextId.getAndIncrement();
            int first = arena.allocate(pages, id);
            if (first < 0) {
                return TierReservation.Attempt.refused(noRun(meta.key().toBytes(), pages));
            }
            if (!arena.pin()) { // cannot happen while this call is in flight: close waits for it
                arena.release(first);
                throw new TierClosedException("tier " + config.name());
            }
            counters.reservedPages.add(pages);
            ByteBuffer memory = arena.view(first, meta.length());
            return new TierReservation.Attempt(PutOutcome.STORED,
                    new DramReservation(this, meta, id, first, pages, memory));
        } finally {
            leave();
        }
    }

    @Override
    public boolean reservesInPlace() {
        return true;
    }

    /** Publishes a filled reservation's record; ALREADY_PRESENT leaves the reservation as it was. */
    PutOutcome commitReserved(BlockMeta meta, long id, int first, int pages) {
        enter();
        try {
            if (index.putIfAbsent(meta.key().toBytes(), IndexRecordDescriptor.encode(id, first, meta)) != null) {
                return PutOutcome.ALREADY_PRESENT;
            }
            counters.usedBytes.addAndGet((long) pages * arena.pageSize());
            counters.blocks.incrementAndGet();
        } finally {
            leave();
        }
        counters.reservedPages.add(-pages);
        arena.unpin();
        return PutOutcome.STORED;
    }

    /** Gives an uncommitted reservation's pages and arena pin back (also after close). */
    void abortReserved(int first, int pages) {
        counters.reservedPages.add(-pages);
        arena.release(first);
        arena.unpin();
    }

    /** Why no run of {@code pages} pages was found for a new block: a duplicate, or no room. */
    private PutOutcome noRun(byte[] key, int pages) {
        if (index.containsKey(key)) {
            return PutOutcome.ALREADY_PRESENT;
        }
        if (arena.freePages() + arena.retiredPages() >= pages) {
            counters.noRunRefusals.increment();
        }
        return PutOutcome.NO_CAPACITY;
    }

    @Override
    public ReadResult read(BlockKey key) {
        enter();
        try {
            byte[] k = key.toBytes();
            IndexRecord r = lookup(k);
            if (r == null || !arena.tryRetain(r.firstPage(), r.id())) {
                counters.misses.increment();
                return ReadResult.miss();
            }
            int first = r.firstPage();
            ByteBuffer view = arena.view(first, r.meta().length());
            if (!arena.isVerified(first)) {
                if (!Checksums.matches(r.meta(), view)) {
                    arena.release(first);
                    if (index.remove(k, IndexRecordDescriptor.encode(r.id(), first, r.meta()))) { // this record only
                        forget(first, r.meta().length());
                    }
                    counters.corrupt.increment();
                    return ReadResult.corrupt();
                }
                arena.markVerified(first);
                counters.verifiedAfterRestart.increment();
            }
            if (!arena.pin()) { // cannot happen while this read is in flight: close waits for it
                arena.release(first);
                throw new TierClosedException("tier " + config.name());
            }
            counters.hits.increment();
            return ReadResult.hit(RefCountedHandle.create(r.meta(), view, () -> {
                arena.release(first);
                arena.unpin();
            }));
        } finally {
            leave();
        }
    }

    @Override
    public Optional<BlockMeta> meta(BlockKey key) {
        enter();
        try {
            IndexRecord r = lookup(key.toBytes());
            return r == null ? Optional.empty() : Optional.of(r.meta());
        } finally {
            leave();
        }
    }

    @Override
    public boolean contains(BlockKey key) {
        enter();
        try {
            return index.containsKey(key.toBytes());
        } finally {
            leave();
        }
    }

    @Override
    public boolean remove(BlockKey key) {
        enter();
        try {
            byte[] k = key.toBytes();
            byte[] v = index.remove(k);
            IndexRecord r = v == null ? null : IndexRecordDescriptor.decodeOrNull(k, v);
            if (r == null) {
                return false;
            }
            forget(r.firstPage(), r.meta().length());
            counters.removedBlocks.increment();
            counters.removedBytes.add(footprint(r.meta().length()));
            return true;
        } finally {
            leave();
        }
    }

    /** Accounts a record that left the index and drops its reference to the run. */
    private void forget(int first, int length) {
        counters.usedBytes.addAndGet(-footprint(length));
        counters.blocks.decrementAndGet();
        arena.retire(first);
    }

    @Override
    public void forEach(Consumer<BlockMeta> visitor) {
        List<BlockMeta> metas = new ArrayList<>();
        enter();
        try {
            // collected first: the visitor runs outside Chronicle Map's segment locks
            index.forEach((k, v) -> {
                IndexRecord r = IndexRecordDescriptor.decodeOrNull(k, v);
                if (r != null) {
                    metas.add(r.meta());
                }
            });
        } finally {
            leave();
        }
        metas.forEach(visitor);
    }

    /**
     * Counters. Details: {@code page_size_bytes}, {@code pages_total}, {@code free_pages},
     * {@code largest_free_run_pages}, {@code free_runs}, {@code retired_pages} (removed, still held by readers),
     * {@code no_run_refusals} (puts refused although enough pages were free: external fragmentation or pages held
     * by readers), {@code removed_blocks} / {@code removed_bytes} (blocks the store evicted or deleted here),
     * {@code restart_blocks} (blocks found at open), {@code restart_discarded} (1 if files found at open were
     * unusable and the tier started cold), {@code verified_after_restart}, {@code restart_index_recovered} (1 if the
     * last process did not close the tier, so the index went through Chronicle Map's recovery), {@code
     * reserved_pages} (pages set aside by reservations being filled, not in {@code usedBytes}), {@code persistent}.
     */
    @Override
    public TierStats stats() {
        return counters.snapshot(config, arena, files);
    }

    /** Test hook: the first arena page of a stored block, or -1. */
    int firstPageOf(BlockKey key) {
        IndexRecord r = lookup(key.toBytes());
        return r == null ? -1 : r.firstPage();
    }

    /** Where a read handle's payload lies in the segment files ({@link SharedLocation#of}), or null. */
    public SharedLocation sharedLocation(ByteBuffer payload) {
        return SharedLocation.of(config.persistDirectory(), arena, payload);
    }

    /** Offered when the arena is file-backed ({@link DramTierConfig#persistent()}): its segment files. */
    @Override
    public Optional<SharedMemoryExport> sharedMemory() {
        return config.persistent() ? Optional.of(new DramSharedMemory(this)) : Optional.empty();
    }

    /** Test hook: the index. */
    ChronicleMap<byte[], byte[]> indexForTest() {
        return index;
    }

    /** Test hook: the arena. */
    PageArena arenaForTest() {
        return arena;
    }

    /** Test hook: pins held by open handles (0 once every handle is closed). */
    long openHandlePins() {
        return arena.outstandingPins();
    }

    /**
     * Why a persistent tier started cold although files of an earlier arena were in its directory (e.g. "the arena
     * geometry changed (pages 16 -> 32)"), or null: a warm restart, a first start, or a non-persistent tier.
     */
    public String coldStartReason() {
        return files.coldStartReason();
    }

    /** True if the last process did not close the tier (kill -9, crash) and the index was recovered at open. */
    public boolean indexRecovered() {
        return files.recoveredIndex();
    }

    /** Blocks found in the directory at open (0 for a first start or a non-persistent tier). */
    public long restartBlocks() {
        return counters.restartBlocks;
    }

    /**
     * Deletes the tier files in {@code dir} and the directory itself if no process has a tier open there (its
     * lock is free); false if one has, or {@code dir} holds files that are not a DRAM tier's.
     */
    public static boolean deleteIfUnused(Path dir) throws IOException {
        return ArenaFiles.deleteIfUnused(dir);
    }

    /** The configuration this tier was opened with. */
    public DramTierConfig config() {
        return config;
    }

    /**
     * Refuses new operations, waits for those in flight, closes the index, and releases the arena once no handle
     * is open; persisted files stay. Idempotent.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        while (inFlight.get() > 0) {
            Thread.onSpinWait();
        }
        index.close();
        arena.close();
        if (lock != null) {
            ArenaFiles.markClosedCleanly(config.persistDirectory());
            lock.close();
        }
    }

    /** Enters an operation; the index and arena stay open until it leaves. */
    private void enter() {
        inFlight.incrementAndGet();
        if (closing.get()) {
            inFlight.decrementAndGet();
            throw new TierClosedException("tier " + config.name());
        }
    }

    private void leave() {
        inFlight.decrementAndGet();
    }
}
