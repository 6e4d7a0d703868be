package io.kvstore.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tarball {@code package} built ({@code kvstore.dist}), unpacked into a directory, and its {@code bin/kvstore}
 * run as an operator would: from {@code /}, with only {@code JAVA} pointing at this JVM. Not thread-safe.
 */
final class Distribution {

    /**
     * The ready line, complete to its newline: the log is read while the daemon writes it, and a read can see the
     * first part of a line whose write crosses a page of the file, e.g. an admin port cut to its first digits (a
     * browser then met "connection refused" right after "ready").
     */
    private static final Pattern READY = Pattern.compile("kvstore ready: data [^:]+:(\\d+).*admin http://[^:]+:(\\d+)[^\\n]*\\n");

    final Path home;

    private Distribution(Path home) {
        this.home = home;
    }

    /** Unpacks the tarball into {@code dir}. */
    static Distribution unpack(Path dir) throws IOException, InterruptedException {
        Path tarball = Path.of(System.getProperty("kvstore.dist"));
        Process tar = new ProcessBuilder("tar", "xzf", tarball.toString(), "-C", dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes());
        if (!tar.waitFor(60, TimeUnit.SECONDS) || tar.exitValue() != 0) {
            throw new IllegalStateException("tar failed: " + out);
        }
        return new Distribution(dir.resolve("kvstore-" + System.getProperty("kvstore.version")));
    }

    /** The result of a command that ran to its end. */
    record Result(int exitCode, String output, long millis) {
        List<String> lines() {
            return output.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    ProcessBuilder command(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/kvstore").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of("/").toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().remove("KVSTORE_JAVA_OPTS");
        pb.environment().putAll(env);
        pb.environment().values().removeIf(String::isEmpty); // "" in env: unset (e.g. JAVA, for the bundled runtime)
        return pb;
    }

    /** Runs {@code bin/kvstore args...} to its end (at most 60 s). */
    Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = command(env, args).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("bin/kvstore " + String.join(" ", args) + " did not end: " + out);
        }
        return new Result(p.exitValue(), out, (System.nanoTime() - t0) / 1_000_000);
    }

    /** A daemon started by {@code bin/kvstore serve}, on ports 0. */
    static final class Daemon implements AutoCloseable {
        final Process process;
        final int port;
        final int adminPort;

        Daemon(Process process, int port, int adminPort) {
            this.process = process;
            this.port = port;
            this.adminPort = adminPort;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** Starts {@code bin/kvstore serve --data-dir dataDir --port 0 --admin-port 0 args...}; waits until ready. */
    Daemon serve(Path dataDir, Path log, String... args) throws IOException, InterruptedException {
        return serve(Map.of(), dataDir, log, args);
    }

    /** As {@link #serve(Path, Path, String...)} with {@code env} added to the launcher's environment. */
    Daemon serve(Map<String, String> env, Path dataDir, Path log, String... args)
            throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("serve", "--data-dir", dataDir.toString(), "--port", "0",
                "--admin-port", "0"));
        all.addAll(List.of(args));
        Process p = command(env, all.toArray(String[]::new)).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            Matcher m = READY.matcher(text);
            if (m.find()) {
                return new Daemon(p, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("daemon exited with " + p.exitValue() + ":\n" + text);
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        throw new IllegalStateException("daemon not ready in 90 s:\n" + Files.readString(log));
    }
}
