package io.kvstore.bench.load;

import io.kvstore.server.ServeCommand;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code kvstore serve} in a child JVM: the same main class as {@code ./kvstore serve}, on this JVM's class
 * path (or another build's), the launcher's {@code --add-*} flags, ports 0 (parsed from the ready line it logs),
 * its log in a file. Read its disk traffic with {@link #io()}, its metrics with {@link #scrape()}.
 */
final class Daemon implements AutoCloseable {

    private static final Pattern READY =
            Pattern.compile("kvstore ready: data [^:]+:(\\d+).*admin (off|http://[^:]+:(\\d+))[^\\n]*\\n");

    final Process process;
    final Path log;
    final int port;
    final int adminPort;

    private Daemon(Process process, Path log, int port, int adminPort) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.adminPort = adminPort;
    }

    /**
     * Starts {@code serve} on {@code dataDir} with {@code settings} ({@code name=value}) and extra JVM options
     * and waits (up to 120 s) until it logs that it is ready.
     */
    static Daemon start(Path dataDir, Path log, List<String> jvmOptions, List<String> settings, String classPath)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
                cmd.add(a);
            }
        }
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", classPath, ServeCommand.class.getName(),
                "--port", "0", "--admin-port", "0", "--data-dir", dataDir.toString()));
        for (String s : settings) {
            cmd.add("--set");
            cmd.add(s);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try {
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("the daemon exited with " + p.exitValue() + ":\n"
                            + Files.readString(log));
                }
                Matcher m = READY.matcher(Files.exists(log) ? Files.readString(log) : "");
                if (m.find()) {
                    if (m.group(3) == null) {
                        throw new IllegalStateException("the daemon has no admin port");
                    }
                    return new Daemon(p, log, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3)));
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("the daemon was not ready in 120 s:\n" + Files.readString(log));
        } catch (IOException | InterruptedException | RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
    }

    long pid() {
        return process.pid();
    }

    /**
     * Appends a thread dump of the daemon to its log (SIGQUIT: the JVM prints every thread's stack to its standard
     * output, which is the log), so that a request that never got an answer can be traced to where the daemon
     * stands. Returns at once; the JVM writes the dump a moment later.
     */
    void dumpThreads() throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-QUIT", Long.toString(pid())).inheritIO().start().waitFor(5, TimeUnit.SECONDS);
    }

    Scrape scrape() throws IOException {
        return Scrape.fetch(adminPort);
    }

    /** Removes every unpinned block from every tier ({@code POST /v1/evict {"all": true}}, docs/server.md). */
    void evictAll() throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + adminPort + "/v1/evict")
                .openConnection();
        c.setConnectTimeout(10_000);
        c.setReadTimeout(120_000);
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        try (OutputStream out = c.getOutputStream()) {
            out.write("{\"all\": true}".getBytes(StandardCharsets.UTF_8));
        }
        try {
            int code = c.getResponseCode();
            if (code != 200) {
                throw new IOException("POST /v1/evict answered " + code);
            }
            c.getInputStream().readAllBytes();
        } finally {
            c.disconnect();
        }
    }

    /** Bytes this process made the kernel read from and write to storage: {@code /proc/<pid>/io}. */
    record Io(long readBytes, long writeBytes) {
        Io minus(Io o) {
            return new Io(readBytes - o.readBytes, writeBytes - o.writeBytes);
        }
    }

    /** {@link Io} now, or zeros where {@code /proc/<pid>/io} cannot be read (not Linux). */
    Io io() {
        Path f = Path.of("/proc", Long.toString(pid()), "io");
        try {
            return parseIo(Files.readString(f));
        } catch (IOException | RuntimeException e) {
            return new Io(0, 0);
        }
    }

    static Io parseIo(String text) {
        long r = 0;
        long w = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("read_bytes:")) {
                r = Long.parseLong(line.substring(11).trim());
            } else if (line.startsWith("write_bytes:")) {
                w = Long.parseLong(line.substring(12).trim());
            }
        }
        return new Io(r, w);
    }

    /**
     * CPU time and run-queue wait of the daemon's threads, in nanoseconds, summed by thread group
     * ({@link ParkSummary#group}): {@code /proc/<pid>/task/<tid>/schedstat} (run time, wait for a CPU, timeslices).
     * The wait is how long runnable threads stood in line for a CPU; empty where it cannot be read.
     */
    Map<String, long[]> sched() {
        Map<String, long[]> out = new TreeMap<>();
        forEachThread((task, name) -> {
            String[] f = Files.readString(task.resolve("schedstat")).trim().split("\\s+");
            long[] s = out.computeIfAbsent(ParkSummary.group(name), g -> new long[2]);
            s[0] += Long.parseLong(f[0]);
            s[1] += Long.parseLong(f[1]);
        });
        return out;
    }

    /** Names of the process's threads now ({@code /proc/<pid>/task/<tid>/comm}, at most 15 characters each). */
    List<String> threadNames() {
        List<String> out = new ArrayList<>();
        forEachThread((task, name) -> out.add(name));
        return out;
    }

    /** What to do with one thread's {@code /proc} directory and name. */
    private interface ThreadVisitor {
        void visit(Path task, String name) throws IOException;
    }

    /** Visits the process's threads now; one that ends meanwhile (or whose files cannot be read) is skipped. */
    private void forEachThread(ThreadVisitor visitor) {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    visitor.visit(t, Files.readString(t.resolve("comm")).trim());
                } catch (IOException | RuntimeException gone) {
                    // the thread ended, or no such file
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: nothing to visit
        }
    }

    /** SIGTERM (the daemon drains and closes its store, which also ends a JFR recording), then waits. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }
}
