package io.kvstore.server.startup;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.kvstore.server.config.ServerConfig;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The direct (off-heap) memory the configured tiers take, against the JVM's limit ({@code -XX:MaxDirectMemorySize},
 * by default the maximum heap). The emulated HBM tier always allocates its capacity as direct buffers; the DRAM
 * tier does too when its arena is private memory ({@code dramPersist=false}, or {@code /dev/shm} too small for it),
 * while an arena in tmpfs files is mapped and does not count. On top of the tiers the daemon needs
 * {@link #HEADROOM_BYTES} for network and disk buffers.
 *
 * <p>The launcher asks {@code kvstore serve --print-jvm-options} for {@link #jvmOption} before it starts the JVM, so
 * the limit is sized from the tiers; a JVM started some other way with a smaller limit is stopped by {@link #check}
 * before anything is allocated, with a line that says what to set.
 */
public final class DirectMemory {

    /** Direct memory for Netty's pooled buffers, the NVMe tier's read buffers and the remote tier's, on top. */
    public static final long HEADROOM_BYTES = 1L << 30;

    private DirectMemory() {
    }

    /** The direct memory the tiers of {@code c} allocate. */
    public static long tierBytes(ServerConfig c) {
        return c.hbmCapacityBytes() + (dramIsPrivate(c) ? c.dramCapacityBytes() : 0);
    }

    /** The JVM's direct-memory limit. */
    public static long limitBytes() {
        try {
            HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            long v = Long.parseLong(hs.getVMOption("MaxDirectMemorySize").getValue());
            return v > 0 ? v : Runtime.getRuntime().maxMemory();
        } catch (RuntimeException e) { // not HotSpot: its default
            return Runtime.getRuntime().maxMemory();
        }
    }

    /** The {@code -XX:MaxDirectMemorySize} the launcher gives a daemon with config {@code c}. */
    public static String jvmOption(ServerConfig c) {
        return "-XX:MaxDirectMemorySize=" + mebibytes(tierBytes(c) + HEADROOM_BYTES) + "m";
    }

    /** Throws a one-line {@link StartupException} if the tiers do not fit under this JVM's limit. */
    public static void check(ServerConfig c) {
        long need = tierBytes(c);
        long limit = limitBytes();
        if (need > limit) {
            throw new StartupException("the tiers need " + mebibytes(need) + " MiB of direct memory (hbmCapacityBytes"
                    + (dramIsPrivate(c) ? " + dramCapacityBytes in private memory" : "") + ") but the JVM allows "
                    + mebibytes(limit) + " MiB; start it with KVSTORE_JAVA_OPTS=" + jvmOption(c)
                    + " (the kvstore launcher does this by itself) or lower the tier capacities");
        }
    }

    /**
     * True if the DRAM arena will be private memory: persistence is off, or the default tmpfs location does not
     * have room for it (then {@code DramPlacement} falls back to private memory).
     */
    static boolean dramIsPrivate(ServerConfig c) {
        if (c.dramCapacityBytes() == 0) {
            return false;
        }
        if (c.dramSharedMemoryDir() != null) {
            return false;
        }
        if (!c.dramPersist()) {
            return true;
        }
        Path dir = c.dramPersistDir() != null ? c.dramPersistDir() : Path.of("/dev/shm");
        while (dir != null && !Files.isDirectory(dir)) {
            dir = dir.getParent();
        }
        try {
            return dir == null || Files.getFileStore(dir).getUsableSpace() < c.dramCapacityBytes();
        } catch (IOException e) {
            return true;
        }
    }

    private static long mebibytes(long bytes) {
        return (bytes + (1L << 20) - 1) >> 20;
    }
}
