package io.kvstore.reliability;

import io.kvstore.server.ServeCommand;
import io.kvstore.tier.dram.DramTier;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code kvstore serve} ({@link ServeCommand}) in a child JVM on the test class path, on port 0, logging to a
 * file. {@link #kill()} is {@code kill -9} (SIGKILL: no shutdown hook, no flush). Not thread-safe.
 *
 * <p>A daemon's DRAM arena outlives it (by default in {@code /dev/shm}, docs/tiers.md): the directory is read from
 * the daemon's log ({@link #dramDir}) and removed when the test JVM exits, unless a test removed it already.
 */
final class Daemon implements AutoCloseable {

    private static final Pattern READY = Pattern.compile("kvstore ready: data [^:]+:(\\d+).*admin (off|http://[^:]+:(\\d+))[^\\n]*\\n");
    private static final Pattern DRAM_DIR = Pattern.compile("dram tier: arena in (\\S+) ");
    private static final Set<Path> DRAM_DIRS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> DRAM_DIRS.forEach(Daemon::removeDram),
                "remove-test-dram-arenas"));
    }

    final Process process;
    final Path log;
    final int port;
    final int adminPort;
    /** The directory of the daemon's DRAM arena, or null if it has none in files. */
    final Path dramDir;

    private Daemon(Process process, Path log, int port, int adminPort, Path dramDir) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.adminPort = adminPort;
        this.dramDir = dramDir;
        if (dramDir != null) {
            DRAM_DIRS.add(dramDir);
        }
    }

    /** Removes a DRAM arena directory that no daemon has open (what a reboot would do to /dev/shm). */
    static boolean removeDram(Path dir) {
        try {
            return DramTier.deleteIfUnused(dir);
        } catch (IOException e) {
            return false;
        }
    }

    /** Starts a daemon on {@code dataDir} with {@code settings} ({@code name=value}) and waits until it is ready. */
    static Daemon start(Path dataDir, Path log, List<String> settings) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-Xmx512m", "-XX:MaxDirectMemorySize=512m", "-cp", System.getProperty("java.class.path"),
                ServeCommand.class.getName(), "--port", "0", "--admin-port", "0", "--data-dir", dataDir.toString()));
        for (String s : settings) {
            cmd.add("--set");
            cmd.add(s);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("daemon exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            String text = Files.exists(log) ? Files.readString(log) : "";
            Matcher m = READY.matcher(text);
            if (m.find()) {
                Matcher dram = DRAM_DIR.matcher(text);
                return new Daemon(p, log, Integer.parseInt(m.group(1)),
                        m.group(3) == null ? -1 : Integer.parseInt(m.group(3)),
                        dram.find() ? Path.of(dram.group(1)) : null);
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new IllegalStateException("daemon not ready in 60 s:\n" + Files.readString(log));
    }

    /** SIGKILL, then waits for the process to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM (a graceful drain), then waits. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            kill();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
