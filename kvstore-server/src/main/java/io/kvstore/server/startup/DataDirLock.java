package io.kvstore.server.startup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One daemon per data dir: an exclusive OS lock on {@code <dataDir>/kvstore.pid}, which holds the owner's pid.
 * The lock is taken before any tier opens, so a second daemon stops at once with a line naming the first one's
 * pid instead of failing minutes later inside RocksDB or the DRAM arena. The kernel drops the lock when the
 * process ends, kill -9 included, so a stale file never blocks a restart. {@link #close()} is idempotent.
 */
public final class DataDirLock implements AutoCloseable {

    /** The lock file's name inside the data dir. */
    public static final String FILE = "kvstore.pid";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks {@code dataDir} (which must exist) or throws a one-line {@link StartupException}. */
    public static DataDirLock acquire(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l = ch.tryLock();
            if (l == null) {
                String holder = holder(ch);
                ch.close();
                throw new StartupException("data dir " + dataDir.toAbsolutePath() + " is in use by another kvstore "
                        + "daemon" + (holder.isEmpty() ? "" : " (pid " + holder + ")") + "; stop it first or give "
                        + "this one another --data-dir");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new DataDirLock(ch, l);
        } catch (java.nio.channels.OverlappingFileLockException e) {
            closeQuietly(ch);
            throw new StartupException("data dir " + dataDir.toAbsolutePath() + " is already in use by a daemon in "
                    + "this process; give this one another --data-dir");
        } catch (IOException e) {
            closeQuietly(ch);
            throw new StartupException("cannot lock " + file.toAbsolutePath() + " (" + StartupChecks.reason(e)
                    + "); make the data dir writable by this user or give another --data-dir");
        }
    }

    private static String holder(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(32);
        ch.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing to release
            }
        }
    }

    @Override
    public synchronized void close() {
        if (channel.isOpen()) {
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel releases it too
            }
            closeQuietly(channel);
        }
    }
}
