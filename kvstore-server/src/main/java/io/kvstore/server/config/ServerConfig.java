package io.kvstore.server.config;

import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.tier.TierManagedPolicy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Every setting of the daemon, typed and validated once at construction ({@link ConfigLoader} builds it from a
 * YAML file, the environment and flags, in that order of precedence). Units are in the names. Immutable.
 *
 * @param bindAddress      address of the data (protocol) port
 * @param port             data port; 0 = any free port
 * @param adminBindAddress address of the HTTP admin port (loopback by default)
 * @param adminPort        HTTP admin port; 0 = any free port; -1 = no admin server
 * @param dataDir          directory of persistent tiers
 * @param hbmCapacityBytes emulated HBM tier capacity; 0 = no HBM tier
 * @param hbmPolicy        its eviction policy
 * @param dramCapacityBytes DRAM tier capacity; 0 = no DRAM tier
 * @param dramPolicy       its eviction policy
 * @param nvmeCapacityBytes NVMe tier capacity; 0 = no NVMe tier
 * @param nvmePolicy       its eviction policy
 * @param nvmeWalMode      {@code disabled} (a kill -9 loses the blocks whose index was not yet flushed; the level is
 *                         then not durable for ACK_PERSISTED), {@code buffered} (survives a process crash) or
 *                         {@code sync} (survives power loss)
 * @param nvmeReinsertionPercent share of a reclaimed NVMe segment's bytes that may be rewritten to keep blocks read
 *                         since they were written, 0 to 50 (0 = none: fewer flash writes, fewer NVMe hits;
 *                         docs/tiers.md)
 * @param transport        {@code auto} (epoll where available), {@code epoll} or {@code nio}
 * @param ioThreads        event-loop threads; 0 = one per core ({@link #eventLoopThreads()})
 * @param blockingThreads  threads for lower-tier reads and writes (off the event loop)
 * @param blockingQueueDepth tasks that may wait for them; beyond that requests get BUSY
 * @param maxFrameBytes    largest frame accepted
 * @param maxKeysPerRequest largest key or block count of one request
 * @param maxPipelinedRequests requests queued per connection before the server stops reading it
 * @param putBlocksInFlight blocks of one connection's PUT stored at once; 1 = one after another, in frame order
 * @param demotionThreads  threads that move the victims of writes down a level, so that a write waits only for its
 *                         own bytes; 0 = each writer moves its victims itself
 * @param demotionHeadroomPercent share of every level but the last kept free for victims on their way down (with
 *                         demotion threads)
 * @param maxInFlightBytesPerConnection request bytes queued per connection before the server stops reading it
 * @param writeBufferLowBytes  outbound bytes under which a paused GET stream resumes
 * @param writeBufferHighBytes outbound bytes above which a GET stream pauses
 * @param maxLeaseMillis   longest lease a LOOKUP may take
 * @param shutdownGraceMillis how long shutdown waits for in-flight requests
 * @param authTokens       token to the tenants it may use ({@code *} = any); empty = no authentication
 * @param dramSharedMemoryDir null = off; otherwise the DRAM arena lives in files in this directory (tmpfs, e.g.
 *                         {@code /dev/shm/kvstore}) that same-host clients of the same OS user map read-only
 *                         (docs/protocol.md, shared memory). Implies DRAM persistence in that directory
 * @param dramPersist      true: the DRAM arena and its index live in files that outlive the process (by default
 *                         in {@code /dev/shm/kvstore-<uid>/<hash of the data dir>}), so a daemon restart keeps the
 *                         hot set (every block CRC-checked before it is served again); a reboot empties them.
 *                         false: private memory, nothing survives the process (docs/tiers.md)
 * @param dramPersistDir   null = the default location under {@code /dev/shm}; otherwise the DRAM arena's directory
 *                         (should be tmpfs: on a disk the kernel writes the arena back to it)
 * @param sharedMemory     true: the DRAM arena, wherever it lives in files, is offered to same-host clients
 *                         (docs/protocol.md, "Same-host shared memory"); {@code dramSharedMemoryDir} offers it in any
 *                         case
 * @param tenantQuotaBytes tenant to the payload bytes its blocks may hold ({@code *} = every other tenant);
 *                         empty = no quotas
 * @param remote           the shared remote tier (Redis Cluster); {@link Remote#enabled()} false = none
 * @param kvEvents         the KV-event stream for routers (docs/events.md); {@link KvEvents#enabled()} false = off
 * @param respPort         port of the Redis-protocol door (docs/protocol-resp.md); 0 = any free port; -1 = off
 * @param lmPort           port of the LMCache {@code lm://} door (docs/protocol-lmcache.md); 0 = any; -1 = off
 * @param dataSocket       null = off; otherwise a Unix domain socket at this path that serves the same binary
 *                         protocol as the data port, for clients on this host (docs/server.md, the data socket)
 * @param nvmeIndexOnly    true: a block whose only copy is on NVMe (with {@code nvmePolicy=tier}) is recorded by the
 *                         NVMe tier's index alone while nothing holds it; false: the engine keeps an entry for it too
 */
public record ServerConfig(String bindAddress, int port, String adminBindAddress, int adminPort, Path dataDir,
                           long hbmCapacityBytes, String hbmPolicy, long dramCapacityBytes, String dramPolicy,
                           long nvmeCapacityBytes, String nvmePolicy, String nvmeWalMode, int nvmeReinsertionPercent,
                           String transport, int ioThreads,
                           int blockingThreads, int blockingQueueDepth, int maxFrameBytes, int maxKeysPerRequest,
                           int maxPipelinedRequests, int putBlocksInFlight, int demotionThreads,
                           int demotionHeadroomPercent, long maxInFlightBytesPerConnection, int writeBufferLowBytes,
                           int writeBufferHighBytes, long maxLeaseMillis, long shutdownGraceMillis,
                           Map<String, List<String>> authTokens, Path dramSharedMemoryDir, boolean dramPersist,
                           Path dramPersistDir, boolean sharedMemory, Map<String, Long> tenantQuotaBytes, Remote remote,
                           KvEvents kvEvents, int respPort, int lmPort, Path dataSocket, boolean nvmeIndexOnly) {

    /**
     * Settings of the shared remote tier (docs/remote-tier.md), the last level of the store when {@code seeds}
     * is not empty.
     *
     * @param seeds              {@code host:port} of one or more cluster nodes; empty = no remote tier
     * @param keyPrefix          prefix of every Redis key ({@code [A-Za-z0-9_.-]{1,64}})
     * @param timeoutMillis      bound on every remote operation; a slower one is a miss
     * @param capacityBytes      this daemon's write budget in the cluster; 0 = unbounded (Redis evicts)
     * @param writeThroughBlocks the first this-many blocks of every chain are also copied to the cluster when
     *                           stored (write-through); 0 = write-back only
     */
    public record Remote(List<String> seeds, String keyPrefix, long timeoutMillis, long capacityBytes,
                         int writeThroughBlocks) {

        public Remote {
            seeds = List.copyOf(seeds);
            for (String s : seeds) {
                int colon = s.lastIndexOf(':');
                if (colon < 1 || colon == s.length() - 1 || !s.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                    throw new ConfigException("remoteSeeds: expected host:port[,host:port...], got '" + s + "'");
                }
            }
            if (keyPrefix == null || !keyPrefix.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new ConfigException("remoteKeyPrefix: must match [A-Za-z0-9_.-]{1,64}, was '" + keyPrefix + "'");
            }
            atLeast("remoteTimeoutMillis", timeoutMillis, 1);
            atLeast("remoteCapacityBytes", capacityBytes, 0);
            atLeast("remoteWriteThroughBlocks", writeThroughBlocks, 0);
        }

        /** No remote tier. */
        public static Remote none() {
            return new Remote(List.of(), "kv", 100, 0, 0);
        }

        /** True if the store has a remote tier. */
        public boolean enabled() {
            return !seeds.isEmpty();
        }
    }

    /**
     * Settings of the KV-event stream (vLLM's format on ZeroMQ, docs/events.md), off unless {@code endpoint} is set.
     *
     * @param endpoint        ZeroMQ address the PUB socket binds ({@code tcp://127.0.0.1:5557}; port {@code *} = any
     *                        free port); empty = no events
     * @param replayEndpoint  address of the ROUTER socket that answers replay requests; empty = no replay
     * @param topic           the first frame of every message
     * @param hashFormat      {@code u64}: a block hash is the low 64 bits of its key as an unsigned integer (vLLM's
     *                        default); {@code bytes}: the key's 32 bytes
     * @param queueEvents     store events waiting for the publisher thread; more are dropped and counted, and the
     *                        next batch skips a sequence number so that subscribers see the gap
     * @param replayBatches   published batches kept for replay
     * @param tokenCacheBlocks blocks whose token ids are remembered so that a block moving to another medium is
     *                        announced there with its token ids; 0 = none
     * @param heartbeatMillis an idle publisher sends an empty batch this often, so that a subscriber can tell a
     *                        quiet daemon from a dead one; 0 = never
     */
    public record KvEvents(String endpoint, String replayEndpoint, String topic, String hashFormat, int queueEvents,
                           int replayBatches, int tokenCacheBlocks, long heartbeatMillis) {

        public KvEvents {
            endpoint = endpoint == null ? "" : endpoint.trim();
            replayEndpoint = replayEndpoint == null ? "" : replayEndpoint.trim();
            topic = topic == null ? "" : topic;
            zmqAddress("kvEventsEndpoint", endpoint);
            zmqAddress("kvEventsReplayEndpoint", replayEndpoint);
            if (endpoint.isEmpty() && !replayEndpoint.isEmpty()) {
                throw new ConfigException("kvEventsReplayEndpoint: set, but kvEventsEndpoint is not (replay serves "
                        + "the batches the event stream published); set kvEventsEndpoint too");
            }
            if (!List.of("u64", "bytes").contains(hashFormat)) {
                throw new ConfigException("kvEventsHashFormat: must be u64 or bytes, was '" + hashFormat + "'");
            }
            atLeast("kvEventsQueueEvents", queueEvents, 1);
            atLeast("kvEventsReplayBatches", replayBatches, 0);
            atLeast("kvEventsTokenCacheBlocks", tokenCacheBlocks, 0);
            atLeast("kvEventsHeartbeatMillis", heartbeatMillis, 0);
        }

        /** No event stream. */
        public static KvEvents none() {
            return new KvEvents("", "", "", "u64", 65_536, 10_000, 0, 0);
        }

        /** True if the daemon publishes events. */
        public boolean enabled() {
            return !endpoint.isEmpty();
        }

        private static void zmqAddress(String name, String v) {
            if (!v.isEmpty() && !v.matches("(tcp://[^\\s:]+:(\\d+|\\*)|ipc://\\S+|inproc://\\S+)")) {
                throw new ConfigException(name + ": expected tcp://HOST:PORT (PORT * = any free port), ipc://PATH or "
                        + "inproc://NAME, was '" + v + "'");
            }
        }
    }

    public ServerConfig {
        if (kvEvents == null) {
            kvEvents = KvEvents.none();
        }
        authTokens = Map.copyOf(authTokens);
        tenantQuotaBytes = Map.copyOf(tenantQuotaBytes);
        tenantQuotaBytes.forEach((tenant, q) -> {
            if (tenant.isBlank()) {
                throw new ConfigException("tenantQuotaBytes: a tenant name must not be blank");
            }
            atLeast("tenantQuotaBytes[" + tenant + "]", q, 0);
        });
        if (remote == null) {
            remote = Remote.none();
        }
        if (remote.enabled() && remote.writeThroughBlocks() > 0 && dramSharedMemoryDir != null
                && hbmCapacityBytes == 0) {
            // write-through wraps the top local tier; shared-memory reads need the DRAM tier itself
            throw new ConfigException("remoteWriteThroughBlocks: write-through wraps the top tier, which is the DRAM "
                    + "tier that dramSharedMemoryDir offers to clients; use an HBM tier on top, or no write-through");
        }
        if (dramSharedMemoryDir != null && !dramPersist) {
            throw new ConfigException("dramPersist: false, but dramSharedMemoryDir is set, and shared memory keeps the "
                    + "DRAM arena in files there (which outlive the process); unset one of them");
        }
        if (dramSharedMemoryDir != null && dramPersistDir != null
                && !dramSharedMemoryDir.toAbsolutePath().normalize().equals(dramPersistDir.toAbsolutePath().normalize())) {
            throw new ConfigException("dramPersistDir: the DRAM arena can be in one directory only, and "
                    + "dramSharedMemoryDir (" + dramSharedMemoryDir + ") already puts it there; unset one of them");
        }
        port("port", port, false);
        port("adminPort", adminPort, true);
        port("respPort", respPort, true);
        port("lmPort", lmPort, true);
        if (lmPort >= 0 && !authTokens.isEmpty()) {
            throw new ConfigException("lmPort: LMCache's lm:// protocol carries no credentials, and authTokens are set; "
                    + "leave lmPort at -1 and point LMCache at redis:// (respPort), whose AUTH checks the tokens");
        }
        if (dataSocket != null) {
            dataSocket = dataSocket.toAbsolutePath().normalize();
            socketPath("dataSocket", dataSocket);
        }
        notBlank("bindAddress", bindAddress);
        notBlank("adminBindAddress", adminBindAddress);
        if (dataDir == null) {
            throw new ConfigException("dataDir: must be set");
        }
        atLeast("hbmCapacityBytes", hbmCapacityBytes, 0);
        atLeast("dramCapacityBytes", dramCapacityBytes, 0);
        atLeast("nvmeCapacityBytes", nvmeCapacityBytes, 0);
        if (hbmCapacityBytes + dramCapacityBytes + nvmeCapacityBytes == 0) {
            throw new ConfigException("hbmCapacityBytes, dramCapacityBytes, nvmeCapacityBytes: at least one tier "
                    + "must have a capacity > 0");
        }
        policy("hbmPolicy", hbmPolicy, false);
        policy("dramPolicy", dramPolicy, false);
        policy("nvmePolicy", nvmePolicy, true);
        if (!List.of("disabled", "buffered", "sync").contains(nvmeWalMode)) {
            throw new ConfigException("nvmeWalMode: must be disabled, buffered or sync, was '" + nvmeWalMode + "'");
        }
        if (nvmeReinsertionPercent < 0 || nvmeReinsertionPercent > 50) {
            throw new ConfigException("nvmeReinsertionPercent: must be in [0, 50] (at most half of a reclaimed "
                    + "segment is rewritten, so that reclaiming it frees room), was " + nvmeReinsertionPercent);
        }
        if (!List.of("auto", "epoll", "nio").contains(transport)) {
            throw new ConfigException("transport: must be auto, epoll or nio, was '" + transport + "'");
        }
        atLeast("ioThreads", ioThreads, 0);
        atLeast("blockingThreads", blockingThreads, 1);
        atLeast("blockingQueueDepth", blockingQueueDepth, 1);
        atLeast("maxFrameBytes", maxFrameBytes, 4096);
        atLeast("maxKeysPerRequest", maxKeysPerRequest, 1);
        atLeast("maxPipelinedRequests", maxPipelinedRequests, 1);
        atLeast("putBlocksInFlight", putBlocksInFlight, 1);
        atLeast("demotionThreads", demotionThreads, 0);
        if (demotionHeadroomPercent < 0 || demotionHeadroomPercent > 50) {
            throw new ConfigException("demotionHeadroomPercent: must be in [0, 50], was " + demotionHeadroomPercent);
        }
        atLeast("maxInFlightBytesPerConnection", maxInFlightBytesPerConnection, maxFrameBytes);
        atLeast("writeBufferLowBytes", writeBufferLowBytes, 1);
        atLeast("writeBufferHighBytes", writeBufferHighBytes, writeBufferLowBytes);
        atLeast("maxLeaseMillis", maxLeaseMillis, 0);
        atLeast("shutdownGraceMillis", shutdownGraceMillis, 0);
        authTokens.forEach((token, tenants) -> {
            if (token.isBlank()) {
                throw new ConfigException("authTokens: a token must not be blank");
            }
            if (tenants.isEmpty()) {
                throw new ConfigException("authTokens: token '" + token.charAt(0) + "...' allows no tenant "
                        + "(list tenants, or * for any)");
            }
        });
    }

    /** Embedded defaults: all three tiers, data under {@code ./kvstore-data}, ports 7379 / 7380 on loopback. */
    public static ServerConfig defaults() {
        return ConfigLoader.builder().load();
    }

    /**
     * The event-loop threads of the protocol port (and as many again for the doors): {@code ioThreads}, or one per
     * core when it is 0. One per core, not Netty's 2 x cores: an event loop never blocks (I/O goes to the pools), so
     * a second loop per core only preempts the first in the middle of a request (measured in docs/bench-load.md).
     */
    public int eventLoopThreads() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }

    /** True if HELLO must carry a configured token. */
    public boolean authRequired() {
        return !authTokens.isEmpty();
    }

    private static void port(String name, int v, boolean allowOff) {
        if (v < (allowOff ? -1 : 0) || v > 65535) {
            throw new ConfigException(name + ": must be in " + (allowOff ? "-1" : "0") + "..65535, was " + v);
        }
    }

    /** Longest path a Unix socket address holds (Linux {@code sun_path}: 108 bytes with the terminating NUL). */
    public static final int MAX_SOCKET_PATH_BYTES = 107;

    private static void socketPath(String name, Path p) {
        int bytes = p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > MAX_SOCKET_PATH_BYTES) {
            throw new ConfigException(name + ": " + p + " is " + bytes + " bytes long, more than the "
                    + MAX_SOCKET_PATH_BYTES + " a Unix socket address holds; choose a shorter path (e.g. "
                    + "/run/kvstore/kvstore.sock)");
        }
    }

    private static void atLeast(String name, long v, long min) {
        if (v < min) {
            throw new ConfigException(name + ": must be >= " + min + ", was " + v);
        }
    }

    private static void notBlank(String name, String v) {
        if (v == null || v.isBlank()) {
            throw new ConfigException(name + ": must not be blank");
        }
    }

    /** A registered policy, or {@code tier} where the tier makes room itself ({@code evictsItself}: NVMe). */
    private static void policy(String name, String v, boolean evictsItself) {
        if (TierManagedPolicy.isNamed(v)) {
            if (!evictsItself) {
                throw new ConfigException(name + ": 'tier' leaves eviction to the tier, and only the NVMe tier makes "
                        + "room itself; choose one of " + PolicyRegistry.names() + " or 'default'");
            }
            return;
        }
        if (!PolicyRegistry.exists(v)) {
            throw new ConfigException(name + ": unknown policy '" + v + "'; known: " + PolicyRegistry.names()
                    + (evictsItself ? " and 'tier' (the tier's own reclaim)" : ""));
        }
    }
}
