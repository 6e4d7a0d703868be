package io.kvstore.tier.dram;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.core.tier.TierStats;
import io.kvstore.tier.dram.IndexRecordDescriptor.IndexRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;

/**
 * The off-heap DRAM tier: payloads in a {@link PageArena} of fixed-size pages, the index in a hash map (persisted in a
 * {@link RecordTable}), reads served as zero-copy, ref-counted, read-only views.
 *
 * <h2>How the pieces fit</h2>
 * A put allocates a run of contiguous pages (best fit), copies the payload into it with one bulk copy, then
 * publishes an {@link IndexRecordDescriptor index record} with {@code putIfAbsent} (a duplicate gives its pages
 * back and answers {@link PutOutcome#ALREADY_PRESENT}) (key to allocation id, first page and metadata). A read
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
 * With a {@code persistDirectory} the arena segments and the {@link RecordTable} (one slot per page: the record of
 * the block whose run starts there) are memory-mapped files there, plus a small {@code arena.properties} with the
 * geometry; reopening scans the table, re-claims each record's pages and rebuilds the in-memory index. Bytes are
 * written before their record, and a record is cleared before its pages are freed, so a crash leaves at worst pages
 * without a record (free again at the next start) or a record whose bytes fail their checksum (dropped). The files
 * hold no locks and the tier generates no code at run time, so a process killed at any point leaves files that open
 * at once, on a plain JRE. A geometry change or an unreadable index starts cold ({@link #coldStartReason()} says
 * why). One process at a time: an OS lock on {@code arena.lock} is held while the tier is open
 * ({@link DramTierInUseException} for a second opener). A missing {@code closed-cleanly} marker at open says the last
 * process died with the tier open ({@link #indexRecovered()}).
 *
 * <p>Thread-safety: all methods may be called concurrently. Handles stay valid after {@link #close()} until
 * they are closed themselves; the arena's memory is released after the last one.
 */
public final class DramTier implements Tier {

    private static final String GEOMETRY_FILE = "arena.properties";
    private static final String INDEX_FILE = "index.records";
    /** The index file of format 1 (a Chronicle Map): deleted when such an arena is found (it starts cold). */
    private static final String FORMAT1_INDEX_FILE = "index.cm";
    /** Held (an OS file lock) while a tier has the directory open: one process per directory. */
    static final String LOCK_FILE = "arena.lock";
    /**
     * A note the tier's user may leave in the directory saying whose arena it is (the server writes its data dir
     * there); {@link #deleteIfUnused} counts it as one of the tier's files.
     */
    public static final String OWNER_FILE = "owner";
    /**
     * Written by {@link #close()} after the index is closed, deleted at open: when it is missing at open, the last
     * process died with the tier open (kill -9, crash); reported by {@link #indexRecovered()}.
     */
    private static final String CLEAN_FILE = "closed-cleanly";

    private final DramTierConfig config;
    private final PageArena arena;
    private final ConcurrentHashMap<BlockKey, IndexRecord> index = new ConcurrentHashMap<>();
    /** The index's durable copy; null for a tier that is not persistent. */
    private final RecordTable records;
    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicLong usedBytes = new AtomicLong();
    private final AtomicLong blocks = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder removedBlocks = new LongAdder();
    private final LongAdder removedBytes = new LongAdder();
    private final LongAdder noRunRefusals = new LongAdder();
    private final LongAdder verifiedAfterRestart = new LongAdder();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final DirectoryLock lock;
    private long restartBlocks;
    private long restartDiscarded;
    private String coldStartReason;
    private boolean recoveredIndex;

    private DramTier(DramTierConfig config, DoubleConsumer restartProgress) throws IOException {
        this.config = config;
        if (!config.persistent()) {
            this.lock = null;
            this.arena = PageArena.anonymous(config);
            this.records = null;
            return;
        }
        Path dir = config.persistDirectory();
        createPrivateDirectory(dir);
        this.lock = DirectoryLock.acquire(dir.resolve(LOCK_FILE));
        try {
            RecordTable idx = openIndex(dir);
            PageArena a;
            try {
                PageArena.restrict(dir.resolve(INDEX_FILE));
                a = PageArena.mapped(config, dir);
                writeGeometry(dir);
                PageArena.restrict(dir.resolve(GEOMETRY_FILE));
            } catch (IOException | RuntimeException e) {
                idx.close();
                throw e;
            }
            this.records = idx;
            this.arena = a;
        } catch (IOException | RuntimeException | Error e) {
            lock.close();
            throw e;
        }
        try {
            reload(restartProgress);
        } catch (RuntimeException | Error e) {
            records.close();
            arena.close();
            lock.close();
            throw e;
        }
    }

    /** Opens the index found in {@code dir}, or wipes what is there and starts cold (and says why). */
    private RecordTable openIndex(Path dir) throws IOException {
        String mismatch = geometryMismatch(dir);
        if (mismatch != null) {
            if (Files.exists(dir.resolve(GEOMETRY_FILE))) {
                cold(mismatch);
            }
            wipe(dir);
        }
        Path indexFile = dir.resolve(INDEX_FILE);
        if (Files.exists(indexFile) && Files.size(indexFile) != RecordTable.fileLength(config.pageCount())) {
            cold("the index file has the wrong size (" + Files.size(indexFile) + " bytes, expected "
                    + RecordTable.fileLength(config.pageCount()) + ")");
            wipe(dir);
        }
        boolean clean = Files.deleteIfExists(dir.resolve(CLEAN_FILE));
        recoveredIndex = !clean && Files.exists(indexFile);
        return RecordTable.open(indexFile, config.pageCount());
    }

    private void cold(String reason) {
        restartDiscarded = 1;
        coldStartReason = reason;
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
     * Opens a tier as {@link #open(DramTierConfig)} does, reporting how far the warm restart's scan of the index
     * has come (0..1, about a hundred calls, from the opening thread) to {@code restartProgress}.
     */
    public static DramTier open(DramTierConfig config, DoubleConsumer restartProgress) {
        try {
            return new DramTier(config, restartProgress);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open DRAM tier " + config.name(), e);
        }
    }

    // ------------------------------------------------------------------------------------------ warm restart

    /**
     * Scans the record table page by page: re-claims the run of every valid record and puts the record into the
     * in-memory index. A damaged or impossible record (checksum, format, pages out of range or taken) is cleared and
     * counted corrupt; a second record of a key already found (a put that lost a race for its key when the process
     * died) is cleared; the pages of both stay free.
     */
    private void reload(DoubleConsumer progress) {
        boolean verifyNow = config.restartVerification() == DramTierConfig.RestartVerification.AT_OPEN;
        long maxId = 0;
        int pages = records.slots();
        int step = Math.max(1, pages / 100);
        for (int page = 0; page < pages; page++) {
            if (page % step == 0) {
                progress.accept((double) page / pages);
            }
            RecordTable.Slot s = records.read(page);
            if (s == null) {
                continue;
            }
            IndexRecord r = s == RecordTable.DAMAGED ? null : decodeOrNull(s.key(), s.record());
            if (r != null && index.containsKey(r.meta().key())) {
                records.clear(page);
                continue;
            }
            if (r == null || r.firstPage() != page || r.meta().length() > config.segmentBytes()
                    || !arena.claim(page, arena.pagesFor(r.meta().length()), r.id())) {
                records.clear(page);
                corrupt.increment();
                continue;
            }
            if (verifyNow) {
                if (!Checksums.matches(r.meta(), arena.view(page, r.meta().length()))) {
                    records.clear(page);
                    arena.retire(page);
                    corrupt.increment();
                    continue;
                }
                arena.markVerified(page);
                verifiedAfterRestart.increment();
            }
            index.put(r.meta().key(), r);
            maxId = Math.max(maxId, r.id());
            usedBytes.addAndGet(footprint(r.meta().length()));
            blocks.incrementAndGet();
        }
        progress.accept(1.0);
        nextId.set(maxId + 1);
        restartBlocks = blocks.get();
    }

    private static IndexRecord decodeOrNull(BlockKey key, byte[] value) {
        try {
            return IndexRecordDescriptor.decode(key, value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Creates the directory readable and writable by this user only (where the file system has POSIX modes). */
    private static void createPrivateDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (dir.getParent() != null) {
            Files.createDirectories(dir.getParent());
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectory(dir);
        }
    }

    /** Null if the geometry file in {@code dir} describes this configuration's arena, else what differs. */
    private String geometryMismatch(Path dir) throws IOException {
        Path f = dir.resolve(GEOMETRY_FILE);
        if (!Files.exists(f)) {
            return "no arena was there";
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        } catch (IllegalArgumentException e) {
            return "the geometry file is unreadable";
        }
        Properties want = geometry();
        if (want.equals(p)) {
            return null;
        }
        List<String> diffs = new ArrayList<>();
        for (String k : new java.util.TreeSet<>(want.stringPropertyNames())) {
            if (!want.getProperty(k).equals(p.getProperty(k))) {
                diffs.add(k + " " + p.getProperty(k, "?") + " -> " + want.getProperty(k));
            }
        }
        return "the arena geometry changed (" + String.join(", ", diffs) + ")";
    }

    private Properties geometry() {
        Properties p = new Properties();
        p.setProperty("format", String.valueOf(IndexRecordDescriptor.VERSION));
        p.setProperty("page_size_bytes", String.valueOf(config.pageSizeBytes()));
        p.setProperty("segment_bytes", String.valueOf(config.segmentBytes()));
        p.setProperty("pages", String.valueOf(config.pageCount()));
        return p;
    }

    private void writeGeometry(Path dir) throws IOException {
        try (OutputStream out = Files.newOutputStream(dir.resolve(GEOMETRY_FILE))) {
            geometry().store(out, "kvstore DRAM tier arena geometry");
        }
    }

    private void wipe(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(GEOMETRY_FILE));
        Files.deleteIfExists(dir.resolve(INDEX_FILE));
        Files.deleteIfExists(dir.resolve(FORMAT1_INDEX_FILE));
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().matches("segment-\\d+\\.arena")) {
                    Files.delete(p);
                }
            }
        }
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
        return usedBytes.get();
    }

    @Override
    public long blockCount() {
        return blocks.get();
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
            BlockKey key = meta.key();
            // no separate presence check on the way in (one index operation less per put): the store only puts
            // keys it does not have, and putIfAbsent below settles a duplicate anyway
            long id = nextId.getAndIncrement();
            int first = arena.allocate(pages, id);
            if (first < 0) {
                if (index.containsKey(key)) {
                    return PutOutcome.ALREADY_PRESENT;
                }
                if (arena.freePages() + arena.retiredPages() >= pages) {
                    noRunRefusals.increment();
                }
                return PutOutcome.NO_CAPACITY;
            }
            arena.write(first, payload);
            if (records != null) { // durable before it is visible: a remove that finds the record may clear it
                records.write(first, key, IndexRecordDescriptor.encode(id, first, meta));
            }
            if (index.putIfAbsent(key, new IndexRecord(id, first, meta)) != null) {
                if (records != null) {
                    records.clear(first);
                }
                arena.release(first);
                return PutOutcome.ALREADY_PRESENT;
            }
            usedBytes.addAndGet((long) pages * arena.pageSize());
            blocks.incrementAndGet();
            return PutOutcome.STORED;
        } finally {
            leave();
        }
    }

    @Override
    public ReadResult read(BlockKey key) {
        enter();
        try {
            IndexRecord r = index.get(key);
            if (r == null || !arena.tryRetain(r.firstPage(), r.id())) {
                misses.increment();
                return ReadResult.miss();
            }
            int first = r.firstPage();
            ByteBuffer view = arena.view(first, r.meta().length());
            if (!arena.isVerified(first)) {
                if (!Checksums.matches(r.meta(), view)) {
                    arena.release(first);
                    if (index.remove(key, r)) { // this record only
                        forget(first, r.meta().length());
                    }
                    corrupt.increment();
                    return ReadResult.corrupt();
                }
                arena.markVerified(first);
                verifiedAfterRestart.increment();
            }
            if (!arena.pin()) { // cannot happen while this read is in flight: close waits for it
                arena.release(first);
                throw new TierClosedException("tier " + config.name());
            }
            hits.increment();
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
            IndexRecord r = index.get(key);
            return r == null ? Optional.empty() : Optional.of(r.meta());
        } finally {
            leave();
        }
    }

    @Override
    public boolean contains(BlockKey key) {
        enter();
        try {
            return index.containsKey(key);
        } finally {
            leave();
        }
    }

    @Override
    public boolean remove(BlockKey key) {
        enter();
        try {
            IndexRecord r = index.remove(key);
            if (r == null) {
                return false;
            }
            forget(r.firstPage(), r.meta().length());
            removedBlocks.increment();
            removedBytes.add(footprint(r.meta().length()));
            return true;
        } finally {
            leave();
        }
    }

    /** Accounts a record that left the index and drops its reference to the run. */
    private void forget(int first, int length) {
        if (records != null) {
            records.clear(first); // before the pages can go to another block
        }
        usedBytes.addAndGet(-footprint(length));
        blocks.decrementAndGet();
        arena.retire(first);
    }

    @Override
    public void forEach(Consumer<BlockMeta> visitor) {
        List<BlockMeta> metas = new ArrayList<>();
        enter();
        try {
            index.values().forEach(r -> metas.add(r.meta()));
        } finally {
            leave();
        }
        metas.forEach(visitor); // outside the operation: a slow visitor does not hold up close
    }

    /**
     * Counters. Details: {@code page_size_bytes}, {@code pages_total}, {@code free_pages},
     * {@code largest_free_run_pages}, {@code free_runs}, {@code retired_pages} (removed, still held by readers),
     * {@code no_run_refusals} (puts refused although enough pages were free: external fragmentation or pages held
     * by readers), {@code removed_blocks} / {@code removed_bytes} (blocks the store evicted or deleted here),
     * {@code restart_blocks} (blocks found at open), {@code restart_discarded} (1 if files found at open were
     * unusable and the tier started cold), {@code verified_after_restart}, {@code restart_index_recovered} (1 if the
     * last process did not close the tier: the index was rebuilt from what a crash left), {@code persistent}.
     */
    @Override
    public TierStats stats() {
        return new TierStats(config.name(), capacityBytes(), usedBytes.get(), blocks.get(), hits.sum(),
                misses.sum(), corrupt.sum(), Map.ofEntries(
                        Map.entry("page_size_bytes", (long) arena.pageSize()),
                        Map.entry("pages_total", (long) arena.totalPages()),
                        Map.entry("free_pages", (long) arena.freePages()),
                        Map.entry("largest_free_run_pages", (long) arena.largestFreeRun()),
                        Map.entry("free_runs", (long) arena.freeRuns()),
                        Map.entry("retired_pages", arena.retiredPages()),
                        Map.entry("no_run_refusals", noRunRefusals.sum()),
                        Map.entry("removed_blocks", removedBlocks.sum()),
                        Map.entry("removed_bytes", removedBytes.sum()),
                        Map.entry("restart_blocks", restartBlocks),
                        Map.entry("restart_discarded", restartDiscarded),
                        Map.entry("verified_after_restart", verifiedAfterRestart.sum()),
                        Map.entry("restart_index_recovered", recoveredIndex ? 1L : 0L),
                        Map.entry("persistent", config.persistent() ? 1L : 0L)));
    }

    /** Test hook: the first arena page of a stored block, or -1. */
    int firstPageOf(BlockKey key) {
        IndexRecord r = index.get(key);
        return r == null ? -1 : r.firstPage();
    }

    // ----------------------------------------------------------------------------------- shared memory

    /**
     * Where a block read from this tier lies in the arena's files, for a same-host reader that maps them
     * (docs/protocol.md, shared memory).
     *
     * @param file   the segment file ({@code segment-NNN.arena} in the persist directory)
     * @param offset byte offset of the payload in that file
     */
    public record SharedLocation(Path file, long offset) {
    }

    /**
     * The location of {@code payload} (a handle's {@link BlockHandle#payload()} from {@link #read}) in the
     * segment files, or null if this tier is not file-backed or the buffer is not a view of its arena. The
     * location stays valid while the handle is open: the run is not reused before its last handle closes.
     */
    public SharedLocation sharedLocation(ByteBuffer payload) {
        Path dir = config.persistDirectory();
        if (dir == null) {
            return null;
        }
        long loc = arena.locate(payload);
        return loc < 0 ? null : new SharedLocation(PageArena.segmentFile(dir, (int) (loc >>> 40)), loc & ((1L << 40) - 1));
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
        return coldStartReason;
    }

    /** True if the last process did not close the tier (kill -9, crash): the index was rebuilt from what it left. */
    public boolean indexRecovered() {
        return recoveredIndex;
    }

    /** Blocks found in the directory at open (0 for a first start or a non-persistent tier). */
    public long restartBlocks() {
        return restartBlocks;
    }

    /**
     * Deletes the tier files in {@code dir} and the directory itself if no process has a tier open there (its
     * lock is free); false if one has, or {@code dir} holds files that are not a DRAM tier's.
     */
    public static boolean deleteIfUnused(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryLock held = DirectoryLock.tryAcquire(dir.resolve(LOCK_FILE))) {
            if (held == null) {
                return false;
            }
            try (var files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    String n = p.getFileName().toString();
                    if (!n.equals(LOCK_FILE) && !n.equals(GEOMETRY_FILE) && !n.equals(INDEX_FILE)
                            && !n.equals(FORMAT1_INDEX_FILE)
                            && !n.matches("segment-\\d+\\.arena") && !n.equals(OWNER_FILE) && !n.equals(CLEAN_FILE)
                            && !n.equals("shm.token")) {
                        return false;
                    }
                }
            }
            try (var files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    if (!p.getFileName().toString().equals(LOCK_FILE)) {
                        Files.delete(p);
                    }
                }
            }
            Files.delete(dir.resolve(LOCK_FILE)); // still locked by us: a racing opener fails on the gone directory
        }
        Files.delete(dir);
        return true;
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
        if (records != null) {
            records.close();
        }
        index.clear();
        arena.close();
        if (lock != null) {
            try {
                Files.writeString(config.persistDirectory().resolve(CLEAN_FILE), "");
            } catch (IOException e) {
                // the next open recovers the index, which is only slower
            }
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
