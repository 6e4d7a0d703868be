package io.kvstore.server.net;

import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.SharedMemoryExport;
import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.clock.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Same-host shared memory: the nonce that proves a client runs on this host as a permitted user, and the table of
 * leases: read leases (SHM_GET) and write reservations (SHM_PUT).
 *
 * <h2>Design</h2>
 * The DRAM tier's arena is a set of files in a directory (tmpfs); a same-host client maps them read-only and
 * reads hit blocks in place. A lease holds the DRAM tier's ref-counted {@link BlockHandle} of each block it
 * covers, so the tier does not reuse those pages while it lives — a block evicted or deleted under a lease
 * stays intact (retired) until the lease ends. A write lease holds the reservations of an SHM_PUT, whose memory the
 * client fills in place; it ends when SHM_COMMIT {@link #take takes} them to publish, or by an abort of every one.
 * A lease ends when its client releases it, when it expires
 * (deadline on the store's {@link NanoClock}; a reaper checks every {@code reapIntervalMillis}, and
 * {@link #reapExpired()} may be called directly), or when its connection closes (a killed client's socket
 * closes, so it leaks nothing).
 *
 * <h2>Proof of locality</h2>
 * At start a random 32-byte nonce is written to {@value #TOKEN_FILE} in the arena directory, mode 0600 in a
 * 0700 directory: only this OS user (and root) on this host can read it. A client proves locality and
 * permission by echoing it (SHM_ATTACH); the comparison is constant-time.
 *
 * <p>Thread-safety: all methods may be called concurrently.
 */
public final class ShmLeases implements AutoCloseable {

    /** Name of the nonce file in the arena directory. */
    public static final String TOKEN_FILE = "shm.token";
    private static final Logger LOG = LoggerFactory.getLogger(ShmLeases.class);

    private final Tier tier;
    private final SharedMemoryExport export;
    private final Path directory;
    private final byte[] nonce;
    private final NanoClock clock;
    private final Map<Long, Lease> leases = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong granted = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong droppedWithConnection = new AtomicLong();
    private final AtomicLong reservedBlocks = new AtomicLong();
    private final ScheduledExecutorService reaper;

    private record Lease(long id, Object owner, List<? extends AutoCloseable> held, long bytes, long deadlineNanos) {
        void close() {
            for (AutoCloseable c : held) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("ending a shared-memory lease: {}", e.toString());
                }
            }
        }
    }

    /**
     * Offers the files of {@code tier} ({@link Tier#sharedMemory()}) for shared reads and writes the nonce file.
     *
     * @param reapIntervalMillis how often expired leases are reclaimed; 0 = never automatically (tests)
     */
    public ShmLeases(Tier tier, NanoClock clock, long reapIntervalMillis) {
        this.export = tier.sharedMemory().orElseThrow(() -> new IllegalArgumentException(
                "shared memory needs a file-backed DRAM tier (dramSharedMemoryDir)"));
        this.tier = tier;
        this.directory = export.directory().toAbsolutePath();
        this.clock = clock;
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        this.nonce = HexFormat.of().formatHex(raw).getBytes(StandardCharsets.US_ASCII);
        Path f = directory.resolve(TOKEN_FILE);
        try {
            Files.deleteIfExists(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(f, nonce, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the shared-memory nonce " + f, e);
        }
        if (reapIntervalMillis > 0) {
            reaper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kvstore-shm-reaper");
                t.setDaemon(true);
                return t;
            });
            reaper.scheduleWithFixedDelay(this::reapExpired, reapIntervalMillis, reapIntervalMillis,
                    TimeUnit.MILLISECONDS);
        } else {
            reaper = null;
        }
    }

    /** The shared tier. */
    Tier tier() {
        return tier;
    }

    /** Where the shared tier's payloads lie in its files. */
    SharedMemoryExport export() {
        return export;
    }

    /** The directory clients map files from (absolute). */
    public Path directory() {
        return directory;
    }

    /** True if {@code candidate} is the nonce (constant-time). */
    boolean nonceMatches(byte[] candidate) {
        return MessageDigest.isEqual(nonce, candidate);
    }

    /** Takes ownership of {@code handles} under a new lease of {@code owner}; returns its id (never 0). */
    long grant(Object owner, List<BlockHandle> handles, long leaseNanos) {
        return grant(owner, handles, 0, leaseNanos);
    }

    /**
     * Takes ownership of {@code held} (closed when the lease ends other than by {@link #take}) under a new lease of
     * {@code owner} that accounts for {@code bytes} of reserved memory; returns its id (never 0).
     */
    long grant(Object owner, List<? extends AutoCloseable> held, long bytes, long leaseNanos) {
        long id = ids.incrementAndGet();
        leases.put(id, new Lease(id, owner, List.copyOf(held), bytes, clock.nanoTime() + leaseNanos));
        granted.incrementAndGet();
        if (bytes > 0) {
            reservedBlocks.addAndGet(held.size());
        }
        return id;
    }

    /**
     * Ends lease {@code id} of {@code owner} without closing what it holds, and hands that over to the caller, or
     * null if unknown (expired, released, another's) or not holding {@code type}.
     */
    <T> List<T> take(Object owner, long id, Class<T> type) {
        Lease l = leases.get(id);
        if (l == null || l.owner() != owner || !l.held().stream().allMatch(type::isInstance) || !leases.remove(id, l)) {
            return null;
        }
        List<T> out = new java.util.ArrayList<>(l.held().size());
        for (Object o : l.held()) {
            out.add(type.cast(o));
        }
        return out;
    }

    /** Bytes of memory held for {@code owner} by write leases. */
    long bytesHeldBy(Object owner) {
        long n = 0;
        for (Lease l : leases.values()) {
            if (l.owner() == owner) {
                n += l.bytes();
            }
        }
        return n;
    }

    /** Ends lease {@code id} if {@code owner} holds it; false if unknown (expired, released, another's). */
    boolean release(Object owner, long id) {
        Lease l = leases.get(id);
        if (l == null || l.owner() != owner || !leases.remove(id, l)) {
            return false;
        }
        l.close();
        return true;
    }

    /** Ends every lease of {@code owner} (its connection closed); returns how many. */
    int releaseAll(Object owner) {
        int n = 0;
        for (Lease l : leases.values()) {
            if (l.owner() == owner && leases.remove(l.id(), l)) {
                droppedWithConnection.incrementAndGet(); // counted as it leaves the table, before it is closed
                l.close();
                n++;
            }
        }
        return n;
    }

    /** Ends the leases whose deadline has passed on the clock; returns how many. */
    public int reapExpired() {
        long now = clock.nanoTime();
        int n = 0;
        for (Lease l : leases.values()) {
            if (now - l.deadlineNanos() >= 0 && leases.remove(l.id(), l)) {
                expired.incrementAndGet(); // counted as it leaves the table, before its pages are freed
                l.close();
                n++;
            }
        }
        if (n > 0) {
            LOG.debug("reclaimed {} expired shared-memory leases", n);
        }
        return n;
    }

    /** Live leases. */
    public int active() {
        return leases.size();
    }

    /**
     * Counters: leases granted, expired (reclaimed by the reaper), dropped when their connection closed, active; and
     * blocks reserved for writing in place (SHM_PUT).
     */
    public Map<String, Long> counters() {
        return Map.of("granted", granted.get(), "expired", expired.get(),
                "dropped_with_connection", droppedWithConnection.get(), "active", (long) leases.size(),
                "reserved_blocks", reservedBlocks.get());
    }

    /** Stops the reaper, ends every lease and deletes the nonce file. Idempotent. */
    @Override
    public void close() {
        if (reaper != null) {
            reaper.shutdownNow();
        }
        for (Lease l : leases.values()) {
            if (leases.remove(l.id(), l)) {
                l.close();
            }
        }
        try {
            Files.deleteIfExists(directory.resolve(TOKEN_FILE));
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", directory.resolve(TOKEN_FILE), e.toString());
        }
    }
}
