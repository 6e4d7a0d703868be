package io.kvstore.server;

import io.kvstore.server.config.ServerConfig;
import io.kvstore.tier.dram.DramTier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class ServeCommandTest {

    @TempDir
    Path dir;

    @Test
    void flagsOverrideTheEnvironment() {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("--port", "0", "--admin-port", "0", "--data-dir", dir.toString(),
                "--set", "dramCapacityBytes=64MiB");
        ServerConfig c = cmd.config(Map.of("KVSTORE_PORT", "1234", "KVSTORE_NVME_CAPACITY_BYTES", "1GiB"));
        assertThat(c.port()).isZero();
        assertThat(c.dataDir()).isEqualTo(dir);
        assertThat(c.dramCapacityBytes()).isEqualTo(64L << 20);
        assertThat(c.nvmeCapacityBytes()).isEqualTo(1L << 30);
    }

    @Test
    void aBadSettingExitsWithCode2() {
        int code = new CommandLine(new ServeCommand()).execute("--set", "port=-5");
        assertThat(code).isEqualTo(2);
    }

    @Test
    void embeddedDefaultsStartAllThreeTiers() throws Exception {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("--port", "0", "--admin-port", "0", "--data-dir", dir.toString());
        java.nio.file.Path arena = null;
        try (KvServer s = new KvServer(cmd.config(Map.of())).start()) {
            assertThat(s.store().tierNames()).containsExactly("hbm", "dram", "nvme");
            assertThat(s.port()).isPositive();
            assertThat(s.adminPort()).isPositive();
            arena = ((DramTier) s.store().tiers().get(1)).config().persistDirectory();
            if (java.nio.file.Files.isDirectory(java.nio.file.Path.of("/dev/shm"))) {
                assertThat(arena).as("the DRAM arena outlives the daemon by default").isNotNull();
            }
        } finally {
            if (arena != null) {
                DramTier.deleteIfUnused(arena); // what a reboot would do: the test leaves nothing in /dev/shm
            }
        }
    }
}
