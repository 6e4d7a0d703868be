package io.kvstore.tier.dram;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An OS file lock ({@code fcntl} on Linux) on a file in a persistent tier's directory, held while the tier is open,
 * so that two processes (or two tiers in one process) never map the same arena. The kernel drops it when the
 * process dies, kill -9 included, so a stale lock cannot outlive its owner. The holder's pid is written into the
 * file for the error message of the next one.
 */
final class DirectoryLock implements AutoCloseable {

    /**
     * Lock files this JVM holds. POSIX drops all of a process's locks on a file when any descriptor of that file is
     * closed, so this process must never open a file it holds the lock on a second time: a second try is answered
     * here, without touching the file.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DirectoryLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock or throws {@link DramTierInUseException} naming the holder. */
    static DirectoryLock acquire(Path file) throws IOException {
        DirectoryLock l = tryAcquire(file);
        if (l == null) {
            throw new DramTierInUseException(file.getParent(),
                    HELD.contains(key(file)) ? "this process" : holder(file));
        }
        return l;
    }

    /** Takes the lock, or returns null if a process (this one included) holds it. */
    static DirectoryLock tryAcquire(Path file) throws IOException {
        Path key = key(file);
        if (!HELD.add(key)) {
            return null;
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            PageArena.restrict(file);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null; // cannot happen with HELD, but never a second lock
            }
            if (l == null) {
                ch.close();
                HELD.remove(key);
                return null;
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new DirectoryLock(key, ch, l);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            HELD.remove(key);
            throw e;
        }
    }

    private static Path key(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        return (java.nio.file.Files.isDirectory(dir) ? dir.toRealPath() : dir).resolve(file.getFileName());
    }

    private static String holder(Path file) {
        try {
            String pid = java.nio.file.Files.readString(file, StandardCharsets.US_ASCII).trim();
            return pid.matches("\\d{1,10}") ? "pid " + pid : "another process";
        } catch (IOException e) {
            return "another process";
        }
    }

    /** Releases the lock; idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            // closing the channel releases the lock anyway
        } finally {
            HELD.remove(key);
        }
    }
}
