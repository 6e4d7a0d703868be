package io.kvstore.server.net;

import io.kvstore.server.config.ConfigException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The file of the daemon's Unix domain socket ({@code dataSocket}): whether a daemon may listen there, what to do
 * with a file left by one that died, the mode of a new one, and its removal at a clean stop. A socket file that
 * nobody answers on is stale (a killed daemon cannot remove it) and is replaced; one that answers belongs to a
 * running daemon and is never touched; anything else at that path (a regular file, a directory) is never deleted.
 * Every failure is a {@link ConfigException} naming the setting, the problem and the fix, in one line.
 */
public final class UnixSocketFile {

    /** What is at a socket path. */
    public enum State { ABSENT, STALE }

    private UnixSocketFile() {
    }

    /**
     * Checks that a daemon could listen at {@code path} without changing anything: its directory exists and this
     * user can write it, and no other daemon answers there.
     *
     * @param setting the setting that named the path, for the message
     * @return what is there now ({@link State#STALE}: a socket file nobody answers on, to be replaced)
     */
    public static State check(Path path, String setting) {
        Path dir = path.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ConfigException(setting + ": the directory of " + path + " does not exist; create it (mkdir -p "
                    + dir + ") or choose another path");
        }
        if (!Files.isWritable(dir)) {
            throw new ConfigException(setting + ": directory " + dir + " is not writable by this user, so the socket "
                    + path.getFileName() + " cannot be created there; fix its permissions or choose another path");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return State.ABSENT;
        }
        if (!isSocket(path)) {
            throw new ConfigException(setting + ": " + path + " exists and is not a socket; remove it or choose "
                    + "another path");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
        } catch (ConnectException e) {
            return State.STALE; // a socket file with no listener: left by a daemon that was killed
        } catch (IOException e) {
            throw new ConfigException(setting + ": cannot check the socket " + path + " (" + e.getMessage()
                    + "); remove it if no daemon uses it, or choose another path");
        }
        throw new ConfigException(setting + ": " + path + " is already in use (another kvstore or another program "
                + "listens there); stop it or choose another " + setting);
    }

    /** {@link #check}, then removes a stale socket file so that the bind can create a new one. */
    static State prepare(Path path, String setting) {
        State s = check(path, setting);
        if (s == State.STALE) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                throw new ConfigException(setting + ": cannot remove the stale socket " + path + " (" + e.getMessage()
                        + "); remove it by hand or choose another path");
            }
        }
        return s;
    }

    /** Read and write for the owner only: connecting to a Unix socket needs write permission on its file. */
    static void restrict(Path path) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    }

    /** Removes the socket file of a listener that has closed; quiet if it is already gone. */
    static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the next start replaces a stale file anyway
        }
    }

    private static boolean isSocket(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000; // S_IFMT, S_IFSOCK
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return !Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(path,
                    LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(path);
        }
    }
}
