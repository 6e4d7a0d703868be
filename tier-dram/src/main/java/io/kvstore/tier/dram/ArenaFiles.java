package io.kvstore.tier.dram;

import io.kvstore.core.key.BlockKey;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

/**
 * The files of a persistent DRAM tier in its directory, and the decision to reuse them (warm restart) or start
 * cold: {@code arena.properties} (the geometry), {@code index.cm} (the Chronicle Map index), the arena's
 * {@code segment-NNN.arena} files, {@code arena.lock} (one process at a time) and {@code closed-cleanly}.
 *
 * <p>A geometry change or an unreadable or truncated index starts cold and says why ({@link #coldStartReason()});
 * a missing {@code closed-cleanly} marker (the last process died with the tier open) opens the index with
 * Chronicle Map's recovery, which resets the segment locks the dead process may have held. Not thread-safe: used
 * while the tier opens and closes.
 */
final class ArenaFiles {

    static final String GEOMETRY_FILE = "arena.properties";
    static final String INDEX_FILE = "index.cm";
    /** Held (an OS file lock) while a tier has the directory open: one process per directory. */
    static final String LOCK_FILE = "arena.lock";
    /**
     * Written by close after the index is closed, deleted at open: when it is missing at open, the last process
     * died with the index open (kill -9, crash) and may have held one of Chronicle Map's segment locks, which live
     * in the mapped file; the index is then opened with Chronicle Map's recovery, which resets them.
     */
    static final String CLEAN_FILE = "closed-cleanly";
    private static final int MIN_INDEX_ENTRIES = 1024;
    private static final long MIN_INDEX_FILE_BYTES = 4096;

    private final DramTierConfig config;
    private String coldStartReason;
    private boolean recoveredIndex;

    ArenaFiles(DramTierConfig config) {
        this.config = config;
    }

    /** Why the tier started cold although files of an earlier arena were there, or null. */
    String coldStartReason() {
        return coldStartReason;
    }

    /** True if the index went through Chronicle Map's recovery at open. */
    boolean recoveredIndex() {
        return recoveredIndex;
    }

    /** The files of a persistent tier, open: the directory's lock held, the index and the arena mapped. */
    record Opened(DirectoryLock lock, ChronicleMap<byte[], byte[]> index, PageArena arena) {
    }

    /**
     * Opens the tier's files in {@code dir} (created private if missing): takes its lock ({@link
     * DramTierInUseException} if another process holds it), opens or starts the index, maps the arena.
     */
    Opened open(Path dir) throws IOException {
        createPrivateDirectory(dir);
        DirectoryLock lock = DirectoryLock.acquire(dir.resolve(LOCK_FILE));
        try {
            ChronicleMap<byte[], byte[]> idx = openIndex(dir);
            try {
                PageArena.restrict(dir.resolve(INDEX_FILE));
                PageArena a = PageArena.mapped(config, dir);
                writeGeometry(dir);
                PageArena.restrict(dir.resolve(GEOMETRY_FILE));
                return new Opened(lock, idx, a);
            } catch (IOException | RuntimeException e) {
                idx.close();
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            lock.close();
            throw e;
        }
    }

    /** The index of a non-persistent tier, in memory. */
    ChronicleMap<byte[], byte[]> memoryIndex() throws IOException {
        return newIndex(null, false);
    }

    /** Opens the index found in {@code dir}, or wipes what is there and starts cold (and says why). */
    private ChronicleMap<byte[], byte[]> openIndex(Path dir) throws IOException {
        String mismatch = geometryMismatch(dir);
        if (mismatch != null) {
            if (Files.exists(dir.resolve(GEOMETRY_FILE))) {
                coldStartReason = mismatch;
            }
            wipe(dir);
        }
        Path indexFile = dir.resolve(INDEX_FILE);
        if (Files.exists(indexFile) && Files.size(indexFile) < MIN_INDEX_FILE_BYTES) {
            // a truncated file: Chronicle Map would try to finish its header and spin
            coldStartReason = "the index file is truncated (" + Files.size(indexFile) + " bytes)";
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
            coldStartReason = "the index could not be read (" + e.getClass().getSimpleName() + ")";
            wipe(dir);
            return newIndex(indexFile, false);
        }
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
        for (String k : new TreeSet<>(want.stringPropertyNames())) {
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

    /** Records this configuration's geometry in {@code dir}. */
    private void writeGeometry(Path dir) throws IOException {
        try (OutputStream out = Files.newOutputStream(dir.resolve(GEOMETRY_FILE))) {
            geometry().store(out, "kvstore DRAM tier arena geometry");
        }
    }

    /** Leaves the marker that says the index was closed (best effort: without it the next open only recovers). */
    static void markClosedCleanly(Path dir) {
        try {
            Files.writeString(dir.resolve(CLEAN_FILE), "");
        } catch (IOException e) {
            // the next open recovers the index, which is only slower
        }
    }

    private static void wipe(Path dir) throws IOException {
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

    /** See {@link DramTier#deleteIfUnused}. */
    static boolean deleteIfUnused(Path dir) throws IOException {
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
                            && !n.matches("segment-\\d+\\.arena") && !n.equals(DramTier.OWNER_FILE)
                            && !n.equals(CLEAN_FILE) && !n.equals("shm.token")) {
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
}
