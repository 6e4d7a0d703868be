package io.kvstore.server.testing;

import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;

import java.io.IOException;
import java.nio.file.Path;

/** Starts real servers on loopback port 0 for tests. */
public final class TestServers {

    private TestServers() {
    }

    /**
     * A loader for a small test server: ports 0, DRAM 256 MiB (private memory: {@code dramPersist=false}, so tests
     * leave nothing in /dev/shm; tests of persistence set it back) + NVMe 256 MiB, no HBM.
     */
    public static ConfigLoader config(Path dir) {
        return ConfigLoader.builder().flag("port", 0).flag("adminPort", 0).flag("dataDir", dir)
                .assignment("hbmCapacityBytes=0").assignment("dramCapacityBytes=256MiB")
                .assignment("dramPersist=false")
                .assignment("nvmeCapacityBytes=256MiB").assignment("ioThreads=2")
                .assignment("shutdownGraceMillis=1000");
    }

    public static KvServer start(ConfigLoader loader) throws IOException, InterruptedException {
        return new KvServer(loader.load()).start();
    }
}
