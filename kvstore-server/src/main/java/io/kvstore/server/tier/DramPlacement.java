package io.kvstore.server.tier;

import io.kvstore.core.progress.Progress;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.tier.dram.DramTier;
import io.kvstore.tier.dram.DramTierConfig;
import io.kvstore.tier.dram.DramTierInUseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Where the DRAM arena lives, and opening it there (docs/tiers.md, "DRAM: what survives what").
 *
 * <ul>
 *   <li>{@code dramSharedMemoryDir} set: there (shared-memory reads need the arena in files); a failure is fatal,
 *       as for any explicit setting the daemon cannot honour.</li>
 *   <li>{@code dramPersist=false}: private memory.</li>
 *   <li>otherwise {@code dramPersistDir}, or by default {@code /dev/shm/kvstore-<uid>/<16 hex of SHA-256 of the
 *       data dir's real path>}: one directory per data dir, so two daemons on different data dirs never meet, and
 *       the tier's own lock ({@code arena.lock}) stops a second daemon on the same one. Where that directory
 *       cannot be used (no {@code /dev/shm}, too little free space there for the capacity, not ours, the open
 *       fails), the arena is private memory and ONE warning says why and what to do — never a stack trace.</li>
 * </ul>
 * Before opening the default location, arenas of data dirs that no longer exist are removed from
 * {@code /dev/shm/kvstore-<uid>} (each directory holds an {@code owner} file naming its data dir), unless a
 * process still has them open, so that deleted data dirs (tests, reinstalls) do not pin memory until the next
 * reboot.
 *
 * <p>A data dir deleted and made again at the same path would find the arena of the old one (the location is a hash
 * of the path). So each data dir holds a random id ({@value #DATA_DIR_ID_FILE}, written the first time a daemon
 * opens an arena for it) and the arena's {@code owner} file repeats it on its second line; an arena whose id is not
 * the data dir's was left by an earlier data dir at that path, and is removed before the tier opens (it starts
 * cold, as the data dir's other tiers do). An arena or data dir without an id (written before ids) is kept.
 */
final class DramPlacement {

    private static final Logger LOG = LoggerFactory.getLogger(DramPlacement.class);
    /** The file in the data dir that holds its id (see the class comment). */
    static final String DATA_DIR_ID_FILE = "dram-arena.id";
    /** The default root; a field so that tests can point it elsewhere. */
    static Path shmRoot = Path.of("/dev/shm");

    private DramPlacement() {
    }

    /** The default directory of the arena of {@code dataDir}: {@code <shmRoot>/kvstore-<uid>/<hash>}. */
    static Path defaultDir(Path dataDir) {
        return shmRoot.resolve("kvstore-" + uid()).resolve(hash(dataDir));
    }

    /** Opens the DRAM tier of {@code c} where the config says, falling back to private memory as described. */
    static DramTier open(ServerConfig c, DramTierConfig base) {
        if (c.dramSharedMemoryDir() != null) {
            DramTier t = openPersisted(base.persistedTo(c.dramSharedMemoryDir()));
            logOpened(t);
            return t;
        }
        if (!c.dramPersist()) {
            LOG.info("dram tier: private memory (dramPersist=false): the hot set does not survive a restart");
            return DramTier.open(base);
        }
        boolean defaultLocation = c.dramPersistDir() == null;
        Path dir = defaultLocation ? defaultDir(c.dataDir()) : c.dramPersistDir().toAbsolutePath();
        String problem = defaultLocation ? prepareDefaultRoot(dir.getParent()) : null;
        String dataDirId = readLine(c.dataDir().resolve(DATA_DIR_ID_FILE), 0);
        if (problem == null) {
            removeIfLeftByAnEarlierDataDir(dir, c.dataDir(), dataDirId);
            problem = space(dir, base);
        }
        if (problem != null) {
            return privateMemory(base, problem, defaultLocation);
        }
        DramTier t;
        try {
            t = openPersisted(base.persistedTo(dir));
        } catch (DramTierInUseException e) {
            throw e; // a second daemon on the same data dir: refuse to start
        } catch (RuntimeException e) {
            deleteQuietly(dir); // a half-allocated arena would pin tmpfs memory until the next reboot
            return privateMemory(base, "could not open the arena in " + dir + ": " + message(e), defaultLocation);
        }
        try {
            if (dataDirId == null) {
                dataDirId = UUID.randomUUID().toString();
                Files.writeString(c.dataDir().resolve(DATA_DIR_ID_FILE), dataDirId + "\n");
            }
            Path owner = dir.resolve(DramTier.OWNER_FILE);
            Files.writeString(owner, c.dataDir().toAbsolutePath() + "\n" + dataDirId + "\n");
            Files.setPosixFilePermissions(owner, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            // a note for people, for the clean-up of deleted data dirs and for telling a data dir made again
        }
        logOpened(t);
        return t;
    }

    /**
     * Removes the arena in {@code dir} if its owner file names another data dir id than {@code dataDirId} (null: the
     * data dir has none yet, so it is new): an earlier data dir at the same path left it.
     */
    private static void removeIfLeftByAnEarlierDataDir(Path dir, Path dataDir, String dataDirId) {
        String arenaId = readLine(dir.resolve(DramTier.OWNER_FILE), 1);
        if (arenaId == null || arenaId.equals(dataDirId)) {
            return;
        }
        try {
            long bytes = size(dir);
            if (DramTier.deleteIfUnused(dir)) {
                LOG.info("dram tier: removed the arena in {} ({} MiB): an earlier data dir at {} left it (the data dir"
                        + " was deleted and made again since), so the tier starts cold", dir, bytes >> 20,
                        dataDir.toAbsolutePath());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("dram tier: could not remove {}: {}", dir, message(e));
        }
    }

    /** Line {@code index} (0-based) of a small text file, trimmed; null if the file or the line is missing or empty. */
    private static String readLine(Path file, int index) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            String line = index < lines.size() ? lines.get(index).trim() : "";
            return line.isEmpty() ? null : line;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Opens a tier in its files, logging the warm restart's scan if it takes more than a moment. */
    private static DramTier openPersisted(DramTierConfig config) {
        Progress progress = TierFactory.openProgress("dram tier");
        progress.phase("scanning the arena index in " + config.persistDirectory() + " (" + config.pageCount()
                + " pages)");
        try {
            return DramTier.open(config, progress.asConsumer());
        } finally {
            progress.end();
        }
    }

    private static void logOpened(DramTier t) {
        Path dir = t.config().persistDirectory();
        if (t.coldStartReason() != null) {
            LOG.info("dram tier: arena in {} started cold: {}", dir, t.coldStartReason());
        } else {
            LOG.info("dram tier: arena in {} (survives a daemon restart, not a reboot), {} blocks found{}", dir,
                    t.restartBlocks(), t.indexRecovered() ? " (the last daemon did not stop cleanly: index recovered)"
                            : "");
        }
    }

    private static DramTier privateMemory(DramTierConfig base, String problem, boolean defaultLocation) {
        LOG.warn("dram tier: {}; the DRAM arena is in private memory and the hot set will not survive a restart "
                + "(fix: {}; or set dramPersist=false to choose this and silence the warning)", problem,
                defaultLocation ? "make /dev/shm a tmpfs large enough for dramCapacityBytes (docker: --shm-size; "
                        + "systemd/fstab: size= of the /dev/shm mount), lower dramCapacityBytes, or point "
                        + "dramPersistDir at a tmpfs directory with room" : "give dramPersistDir a tmpfs directory "
                        + "this user owns with room for dramCapacityBytes, or lower dramCapacityBytes");
        return DramTier.open(base);
    }

    /**
     * Creates {@code <shmRoot>/kvstore-<uid>} (0700) if needed and removes arenas of deleted data dirs; null if it
     * can be used, else the problem.
     */
    private static String prepareDefaultRoot(Path userDir) {
        if (!Files.isDirectory(shmRoot)) {
            return shmRoot + " does not exist";
        }
        try {
            if (!Files.isDirectory(userDir)) {
                try {
                    Files.createDirectory(userDir, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // created by a daemon starting at the same time
                }
            }
            if (!ownedPrivately(userDir)) {
                return userDir + " belongs to another user or is open to others";
            }
        } catch (IOException | UnsupportedOperationException e) {
            return "cannot create " + userDir + " (" + message(e) + ")";
        }
        removeArenasOfDeletedDataDirs(userDir);
        return null;
    }

    private static boolean ownedPrivately(Path dir) throws IOException {
        if (Files.isSymbolicLink(dir)) {
            return false;
        }
        Object owner = Files.getAttribute(dir, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        return String.valueOf(owner).equals(uid()) && perms.stream().allMatch(p -> p.name().startsWith("OWNER_"));
    }

    private static void removeArenasOfDeletedDataDirs(Path userDir) {
        try (Stream<Path> dirs = Files.list(userDir)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                Path owner = d.resolve(DramTier.OWNER_FILE);
                if (!Files.isRegularFile(owner)) {
                    continue;
                }
                String dataDir = readLine(owner, 0); // the path; the data dir's id follows on the next line
                if (dataDir == null || Files.exists(Path.of(dataDir))) {
                    continue;
                }
                long bytes = size(d);
                if (DramTier.deleteIfUnused(d)) {
                    LOG.info("dram tier: removed the arena of deleted data dir {} from {} ({} MiB)", dataDir, d,
                            bytes >> 20);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("dram tier: clean-up of {} stopped: {}", userDir, message(e));
        }
    }

    /**
     * Null if the file system of {@code dir} has room for the arena (counting what an earlier arena there already
     * holds), else the problem.
     */
    static String space(Path dir, DramTierConfig cfg) {
        long arena = (long) cfg.pageCount() * cfg.pageSizeBytes();
        long need = arena + Math.max(1L << 20, arena / 64); // the index and the small files
        try {
            Path probe = dir;
            while (probe != null && !Files.exists(probe)) {
                probe = probe.getParent();
            }
            if (probe == null) {
                return dir + " has no existing parent";
            }
            long usable = Files.getFileStore(probe).getUsableSpace();
            long have = Files.isDirectory(dir) ? size(dir) : 0;
            if (usable + have < need) {
                return (probe.equals(dir) ? dir.toString() : "the file system of " + dir) + " has "
                        + mib(usable + have) + " MiB free for the arena, which needs " + mib(need) + " MiB";
            }
            return null;
        } catch (IOException e) {
            return "cannot read the free space of " + dir + " (" + message(e) + ")";
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            long sum = 0;
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    sum += Files.size(f);
                }
            }
            return sum;
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            DramTier.deleteIfUnused(dir);
        } catch (IOException | RuntimeException e) {
            LOG.debug("dram tier: could not remove {}: {}", dir, message(e));
        }
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    private static String message(Throwable e) {
        Throwable t = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    /** The numeric uid of this process (the owner of {@code /proc/self}), or the user name where there is none. */
    static String uid() {
        try {
            return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        }
    }

    /** 16 hex digits of SHA-256 of the data dir's real path (symbolic links resolved, so aliases meet). */
    static String hash(Path dataDir) {
        Path p = dataDir.toAbsolutePath().normalize();
        try {
            p = p.toRealPath();
        } catch (IOException e) {
            // not created yet: the absolute path
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(p.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
