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
import io.kvstore.core.tier.TierStats;
import io.kvstore.tier.dram.IndexRecordDescriptor.IndexRecord;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;

/**
 * The off-heap DRAM tier: payloads in a {@link PageArena} of fixed-size pages, the index in a Chronicle Map,
 * reads served as zero-copy, ref-counted, read-only views.
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

    private static final String GEOMETRY_FILE = "arena.properties";
    private static final String INDEX_FILE = "index.cm";
    /** Held (an OS file lock) while a tier has the directory open: one process per directory. */
    static final String LOCK_FILE = "arena.lock";
    /**
     * A note the tier's user may leave in the directory saying whose arena it is (the server writes its data dir
     * there); {@link #deleteIfUnused} counts it as one of the tier's files.
     */
    public static final String OWNER_FILE = "owner";
    /**
     * Written by {@link #close()} after the index is closed, deleted at open: when it is missing at open, the last
     * process died with the index open (kill -9, crash) and may have held one of Chronicle Map's segment locks,
     * which live in the mapped file; the index is then opened with Chronicle Map's recovery, which resets them.
     */
    private static final String CLEAN_FILE = "closed-cleanly";
    private static final int MIN_INDEX_ENTRIES = 1024;
    private static final long MIN_INDEX_FILE_BYTES = 4096;

    private final DramTierConfig config;
    private final PageArena arena;
    private final ChronicleMap<byte[], byte[]> index;
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
            this.index = newIndex(null);
            return;
        }
        Path dir = config.persistDirectory();
        createPrivateDirectory(dir);
        this.lock = DirectoryLock.acquire(dir.resolve(LOCK_FILE));
        try {
            ChronicleMap<byte[], byte[]> idx = openIndex(dir);
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
            this.index = idx;
            this.arena = a;
        } catch (IOException | RuntimeException | Error e) {
            lock.close();
            throw e;
        }
        try {
            reload(restartProgress);
        } catch (RuntimeException | Error e) {
            index.close();
            arena.close();
            lock.close();
            throw e;
        }
    }

    /** Opens the index found in {@code dir}, or wipes what is there and starts cold (and says why). */
    private ChronicleMap<byte[], byte[]> openIndex(Path dir) throws IOException {
        String mismatch = geometryMismatch(dir);
        if (mismatch != null) {
            if (Files.exists(dir.resolve(GEOMETRY_FILE))) {
                cold(mismatch);
            }
            wipe(dir);
        }
        Path indexFile = dir.resolve(INDEX_FILE);
        if (Files.exists(indexFile) && Files.size(indexFile) < MIN_INDEX_FILE_BYTES) {
            // a truncated file: Chronicle Map would try to finish its header and spin
            cold("the index file is truncated (" + Files.size(indexFile) + " bytes)");
            wipe(dir);
        }
        boolean clean = Files.deleteIfExists(dir.resolve(CLEAN_FILE));
        try {
            if (!clean && Files.exists(indexFile)) {
                recoveredIndex = true;
                return newIndex(indexFile, true);
            }
            return newIndex(indexFile, false);
        } catch (IOException | RuntimeException e) {
            cold("the index could not be read (" + e.getClass().getSimpleName() + ")");
            wipe(dir);
            return newIndex(indexFile, false);
        }
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

    private ChronicleMap<byte[], byte[]> newIndex(Path file) throws IOException {
        return newIndex(file, false);
    }

    /** The index in {@code file} (or in memory if null); {@code recover}: after a crash, see {@link #CLEAN_FILE}. */
    private ChronicleMap<byte[], byte[]> newIndex(Path file, boolean recover) throws IOException {
        ChronicleMapBuilder<byte[], byte[]> b = ChronicleMap.of(byte[].class, byte[].class)
                .name(config.name() + "-index")
                .constantKeySizeBySample(new byte[BlockKey.BYTES])
                .constantValueSizeBySample(new byte[IndexRecordDescriptor.LENGTH])
                // every block takes at least one page: the page count bounds the number of entries
                .entries(Math.max(MIN_INDEX_ENTRIES, config.pageCount()));
        if (file == null) {
            return b.create();
        }
        return recover ? b.recoverPersistedTo(file.toFile(), true) : b.createPersistedTo(file.toFile());
    }

    // ------------------------------------------------------------------------------------------ warm restart

    private void reload(DoubleConsumer progress) {
        List<Map.Entry<byte[], byte[]>> found = new ArrayList<>();
        index.forEach((k, v) -> found.add(Map.entry(k.clone(), v.clone()))); // Chronicle reuses the arrays
        boolean verifyNow = config.restartVerification() == DramTierConfig.RestartVerification.AT_OPEN;
        long maxId = 0;
        int step = Math.max(1, found.size() / 100);
        int done = 0;
        for (Map.Entry<byte[], byte[]> e : found) {
            if (done++ % step == 0) {
                progress.accept((double) (done - 1) / found.size());
            }
            IndexRecord r = decodeOrNull(e.getKey(), e.getValue());
            if (r == null || r.meta().length() > config.segmentBytes()
                    || !arena.claim(r.firstPage(), arena.pagesFor(r.meta().length()), r.id())) {
                index.remove(e.getKey());
                corrupt.increment();
                continue;
            }
            if (verifyNow) {
                if (!Checksums.matches(r.meta(), arena.view(r.firstPage(), r.meta().length()))) {
                    index.remove(e.getKey());
                    arena.retire(r.firstPage());
                    corrupt.increment();
                    continue;
                }
                arena.markVerified(r.firstPage());
                verifiedAfterRestart.increment();
            }
            maxId = Math.max(maxId, r.id());
            usedBytes.addAndGet(footprint(r.meta().length()));
            blocks.incrementAndGet();
        }
        progress.accept(1.0);
        nextId.set(maxId + 1);
        restartBlocks = blocks.get();
    }

    /** The index record of a key, or null if absent or malformed. */
    private IndexRecord lookup(byte[] key) {
        byte[] v = index.get(key);
        return v == null ? null : decodeOrNull(key, v);
    }

    private static IndexRecord decodeOrNull(byte[] key, byte[] value) {
        try {
            return IndexRecordDescriptor.decode(BlockKey.of(key), value);
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
            byte[] key = meta.key().toBytes();
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
            if (index.putIfAbsent(key, IndexRecordDescriptor.encode(id, first, meta)) != null) {
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
            byte[] k = key.toBytes();
            IndexRecord r = lookup(k);
            if (r == null || !arena.tryRetain(r.firstPage(), r.id())) {
                misses.increment();
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
            IndexRecord r = v == null ? null : decodeOrNull(k, v);
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
        usedBytes.addAndGet(-footprint(length));
        blocks.decrementAndGet();
        arena.retire(first);
    }

    @Override
    public void forEach(Consumer<BlockMeta> visitor) {
        List<BlockMeta> metas = new ArrayList<>();
        enter();
        try {
            // collected first: the visitor runs outside Chronicle Map's segment locks
            index.forEach((k, v) -> {
                IndexRecord r = decodeOrNull(k, v);
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
     * last process did not close the tier, so the index went through Chronicle Map's recovery), {@code persistent}.
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
        IndexRecord r = lookup(key.toBytes());
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
        return coldStartReason;
    }

    /** True if the last process did not close the tier (kill -9, crash) and the index was recovered at open. */
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
        index.close();
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
