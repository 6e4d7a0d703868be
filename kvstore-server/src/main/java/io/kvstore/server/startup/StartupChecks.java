package io.kvstore.server.startup;

import io.kvstore.server.config.ConfigException;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.net.UnixSocketFile;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checks {@code kvstore serve} runs before it opens any tier, so that an operator mistake costs a second and
 * one line instead of a stack trace after the tiers have been allocated: the data dir is a writable directory
 * ({@link #dataDir}), the ports can be bound ({@link #ports}) and the tiers fit under the JVM's direct-memory
 * limit ({@link DirectMemory#check}). Each failure is a {@link StartupException} naming the problem and the fix.
 * A port can still be taken between the check and the bind; {@link #bindFailure} words that case the same way.
 */
public final class StartupChecks {

    private StartupChecks() {
    }

    /** All checks, in the order an operator would fix them; returns the data dir's lock, held until closed. */
    public static DataDirLock run(ServerConfig c) {
        dataDir(c.dataDir());
        DataDirLock lock = DataDirLock.acquire(c.dataDir());
        try {
            ports(c);
            DirectMemory.check(c);
            return lock;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Creates {@code dir} if missing and proves it is a directory this user can write. */
    public static void dataDir(Path dir) {
        Path abs = dir.toAbsolutePath();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new StartupException("data dir " + abs + " is a file, not a directory; move the file away or give "
                    + "another --data-dir");
        }
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new StartupException("cannot create data dir " + abs + " (" + reason(e) + "); create it for this "
                    + "user or give another --data-dir");
        }
        try {
            Files.delete(Files.createTempFile(abs, ".write-check", ".tmp"));
        } catch (IOException e) {
            throw new StartupException("data dir " + abs + " is not writable (" + reason(e) + "); fix its "
                    + "permissions (it must be writable by this user) or give another --data-dir");
        }
    }

    /**
     * Binds and releases each configured fixed port (0 = any free port needs no check), and checks that the data
     * socket's directory is writable and that no daemon answers on it (a stale file is left for the server to
     * replace).
     */
    public static void ports(ServerConfig c) {
        if (c.dataSocket() != null) {
            try {
                UnixSocketFile.check(c.dataSocket(), "dataSocket");
            } catch (ConfigException e) {
                throw new StartupException(e.getMessage());
            }
        }
        if (c.adminPort() > 0 && c.adminPort() == c.port() && c.bindAddress().equals(c.adminBindAddress())) {
            throw new StartupException("port " + c.port() + " is given as both the data port and the admin port; "
                    + "choose different --port and --admin-port");
        }
        probe(c.bindAddress(), c.port(), "data", "--port");
        if (c.adminPort() > 0) {
            probe(c.adminBindAddress(), c.adminPort(), "admin", "--admin-port");
        }
    }

    private static void probe(String address, int port, String what, String flag) {
        if (port == 0) {
            return;
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(address, port));
        } catch (IOException e) {
            throw bindFailure(address, port, what, flag, e);
        }
    }

    /** The one-line error for a port that cannot be bound. */
    public static StartupException bindFailure(String address, int port, String what, String flag, Throwable e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (why.contains("in use")) {
            return new StartupException(what + " port " + address + ":" + port + " is already in use (another kvstore "
                    + "or another program listens there); stop it or choose another " + flag
                    + " (0 = any free port)");
        }
        return new StartupException("cannot listen on " + what + " port " + address + ":" + port + " (" + why
                + "); check the address" + ("data".equals(what) ? " (bindAddress)" : " (adminBindAddress)")
                + " and " + flag);
    }

    /** A short reason for a file-system failure: the OS's words, without the path repeated. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** True if {@code e} or one of its causes is a failure to bind a socket. */
    public static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).contains("bind(..) failed")) {
                return true;
            }
        }
        return false;
    }
}
