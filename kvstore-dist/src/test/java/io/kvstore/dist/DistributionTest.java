package io.kvstore.dist;

import io.kvstore.server.config.ConfigLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The distribution as an operator meets it: unpacked into a temporary directory and run from {@code /} with only a
 * JDK; its files; and every operator mistake answered by one line that names the fix, exit code 2, no stack trace.
 * Each mistake's time is printed (the issue asks for under 2 s; the assertion allows a loaded machine 15 s).
 */
@Timeout(300)
class DistributionTest {

    /** Small tiers in private memory: the test leaves nothing in /dev/shm. */
    static final String[] SMALL = {"--set", "hbmCapacityBytes=0", "--set", "dramCapacityBytes=32MiB", "--set",
        "dramPersist=false", "--set", "nvmeCapacityBytes=64MiB"};

    @TempDir
    static Path dir;

    static Distribution dist;

    @BeforeAll
    static void unpack() throws Exception {
        dist = Distribution.unpack(dir);
    }

    @Test
    void holdsTheLauncherLibrariesConfigUnitLicenseAndDeployFiles() throws Exception {
        Path h = dist.home;
        assertThat(Files.isExecutable(h.resolve("bin/kvstore"))).isTrue();
        try (var jars = Files.list(h.resolve("lib"))) {
            assertThat(jars.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("kvstore-server-"))
                    .anyMatch(n -> n.startsWith("kvstore-cli-")).anyMatch(n -> n.startsWith("bench-"));
        }
        assertThat(Files.readString(h.resolve("LICENSE"))).contains("Apache License").contains("Version 2.0");
        assertThat(Files.readString(h.resolve("INSTALL.md"))).contains("7379").contains("7380");
        assertThat(Files.readString(h.resolve("systemd/kvstore.service"))).contains("ExecStart=/opt/kvstore/bin/kvstore serve")
                .contains("NoNewPrivileges=yes").contains("ProtectSystem=strict").contains("RestartPreventExitStatus=2");
        assertThat(h.resolve("deploy/grafana/kvstore.json")).exists();
        assertThat(h.resolve("deploy/prometheus/alerts.yml")).exists();
        String yaml = Files.readString(h.resolve("conf/kvstore.yaml"));
        for (String setting : ConfigLoader.settingNames()) {
            assertThat(yaml).as("conf/kvstore.yaml lists " + setting).contains("# " + setting + ":");
        }
        ConfigLoader.builder().yaml(h.resolve("conf/kvstore.yaml")).load(); // as shipped, it is valid
    }

    @Test
    void servesFromAnyDirectoryAndCtlNeedsOnlyTheDataPort() throws Exception {
        assertThat(dist.run(Map.of(), "serve", "-V").output().trim()).isEqualTo("kvstore "
                + System.getProperty("kvstore.version"));
        assertThat(dist.run(Map.of(), "ctl", "--version").output().trim()).isEqualTo("kvctl "
                + System.getProperty("kvstore.version"));
        try (Distribution.Daemon d = dist.serve(dir.resolve("data-a"), dir.resolve("a.log"), SMALL)) {
            Distribution.Result status = dist.run(Map.of(), "ctl", "--server", "127.0.0.1:" + d.port, "status");
            assertThat(status.exitCode()).as(status.output()).isZero();
            assertThat(status.output()).contains("kvstore " + System.getProperty("kvstore.version"))
                    .contains("admin 127.0.0.1:" + d.adminPort).contains("dram");
            Distribution.Result health = dist.run(Map.of(), "ctl", "--server", "127.0.0.1:" + d.port, "health");
            assertThat(health.exitCode()).as(health.output()).isZero();
            Distribution.Result help = dist.run(Map.of(), "ctl", "status", "--help");
            assertThat(help.output()).contains("HIT% is the share").doesNotContain("[picocli WARN]");
        }
    }

    @Test
    void aSecondDaemonOnTheSameDataDirStopsWithOneLine() throws Exception {
        Path data = dir.resolve("data-b");
        try (Distribution.Daemon first = dist.serve(data, dir.resolve("b.log"), SMALL)) {
            Distribution.Result r = dist.run(Map.of(), serve(data, SMALL));
            assertOneLine("second daemon", r, "is in use by another kvstore daemon (pid " + first.process.pid() + ")",
                    "--data-dir");
        }
    }

    @Test
    void aDataDirThatIsAFileOrNotWritableStopsWithOneLine() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertOneLine("data dir is a file", dist.run(Map.of(), serve(file, SMALL)), "is a file, not a directory",
                "--data-dir");
        Path readOnly;
        if ("root".equals(System.getProperty("user.name"))) {
            readOnly = Path.of("/sys/kernel"); // root writes through permission bits; sysfs refuses even root
        } else {
            readOnly = Files.createDirectory(dir.resolve("read-only"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r-xr-xr-x")));
        }
        assertOneLine("data dir not writable", dist.run(Map.of(), serve(readOnly, SMALL)), "is not writable",
                "--data-dir");
    }

    @Test
    void aPortInUseIsNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            String[] data = concat(new String[] {"serve", "--data-dir", dir.resolve("data-c").toString(), "--port",
                String.valueOf(port), "--admin-port", "0"}, SMALL);
            assertOneLine("data port in use", dist.run(Map.of(), data),
                    "data port 127.0.0.1:" + port + " is already in use", "--port");
            String[] admin = concat(new String[] {"serve", "--data-dir", dir.resolve("data-c").toString(), "--port",
                "0", "--admin-port", String.valueOf(port)}, SMALL);
            assertOneLine("admin port in use", dist.run(Map.of(), admin),
                    "admin port 127.0.0.1:" + port + " is already in use", "--admin-port");
        }
    }

    @Test
    void tiersOverTheDirectMemoryLimitStopWithOneLineAndTheLauncherSizesIt() throws Exception {
        String[] big = {"serve", "--data-dir", dir.resolve("data-d").toString(), "--port", "0", "--admin-port", "0",
            "--set", "hbmCapacityBytes=256MiB", "--set", "dramCapacityBytes=32MiB", "--set", "dramPersist=false",
            "--set", "nvmeCapacityBytes=64MiB"};
        assertOneLine("tiers over the direct-memory limit",
                dist.run(Map.of("KVSTORE_JAVA_OPTS", "-XX:MaxDirectMemorySize=64m"), big),
                "the tiers need 288 MiB of direct memory", "-XX:MaxDirectMemorySize=");
        try (Distribution.Daemon d = dist.serve(dir.resolve("data-e"), dir.resolve("e.log"), "--set",
                "hbmCapacityBytes=256MiB", "--set", "dramCapacityBytes=32MiB", "--set", "dramPersist=false", "--set",
                "nvmeCapacityBytes=64MiB")) {
            assertThat(d.process.info().arguments().orElseThrow()).contains("-XX:MaxDirectMemorySize=1312m");
        }
    }

    /**
     * JVM options of the operator's that write to stdout at start (a GC log to stdout, a flight recording's banner)
     * used to mix with the launcher's sizing answer and the daemon failed to start ("Could not find or load main
     * class [0.493s][info]...").
     */
    @Test
    void jvmOptionsThatWriteToStdoutStillStartTheDaemon() throws Exception {
        try (Distribution.Daemon d = dist.serve(Map.of("KVSTORE_JAVA_OPTS", "-Xlog:gc:stdout"),
                dir.resolve("data-g"), dir.resolve("g.log"), SMALL)) {
            List<String> args = List.of(d.process.info().arguments().orElseThrow());
            assertThat(args).contains("-Xlog:gc:stdout");
            assertThat(args.stream().filter(a -> a.startsWith("-XX:MaxDirectMemorySize=")).toList()).hasSize(1);
        }
    }

    @Test
    void aBadSettingStopsWithOneLine() throws Exception {
        assertOneLine("bad setting", dist.run(Map.of(), serve(dir.resolve("data-f"), "--set",
                "dramCapacityBytes=4 GiBs")), "dramCapacityBytes", "GiBs");
    }

    private static String[] serve(Path data, String... more) {
        return concat(new String[] {"serve", "--data-dir", data.toString(), "--port", "0", "--admin-port", "0"}, more);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void assertOneLine(String mistake, Distribution.Result r, String... fragments) {
        System.out.printf("operator mistake '%s': exit %d in %d ms: %s%n", mistake, r.exitCode(), r.millis(),
                r.output().trim());
        assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
        assertThat(r.lines()).as(r.output()).hasSize(1);
        assertThat(r.output()).startsWith("kvstore serve: ").doesNotContain("\tat ").doesNotContain("Exception");
        for (String f : fragments) {
            assertThat(r.output()).contains(f);
        }
        assertThat(r.millis()).as("took " + r.millis() + " ms").isLessThan(15_000);
    }
}
