package io.kvstore.tier.remote;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of a {@link RemoteTier}, validated once at construction.
 *
 * @param name                    the tier's name in metrics and configs
 * @param seeds                   {@code host:port} of one or more cluster nodes; the client discovers the rest
 * @param keyPrefix               first component of every Redis key ({@code <prefix>:{<keyhex>}:meta}); lets
 *                                several deployments (or tests) share one cluster. Letters, digits, {@code _.-}
 * @param capacityBytes           this node's write budget in the shared tier, counted as the footprint of the
 *                                blocks it wrote and has not seen disappear; {@link #UNBOUNDED} leaves capacity
 *                                to Redis's {@code maxmemory} alone (see docs/remote-tier.md)
 * @param timeoutMillis           bound on every tier operation; a slower shard answers a miss (or FAILED)
 * @param connectTimeoutMillis    bound on opening a socket to a node
 * @param pieceBytes              payloads are split into Redis values of at most this many bytes (≤ 1 MiB)
 * @param readPoolBytes           bound on the direct memory held by read buffers not yet released by readers
 * @param breakerFailureThreshold consecutive failures on one shard that open its circuit breaker
 * @param breakerOpenMillis       how long an open breaker refuses calls before letting one probe through
 * @param topologyRefreshMillis   period of the client's cluster topology refresh (failover pick-up); adaptive
 *                                triggers (MOVED, reconnects) refresh sooner
 * @param ttlSeconds              expiry set on every key, 0 for none (with {@code volatile-*} maxmemory policies)
 */
public record RemoteTierConfig(String name, List<String> seeds, String keyPrefix, long capacityBytes,
                               long timeoutMillis, long connectTimeoutMillis, int pieceBytes, long readPoolBytes,
                               int breakerFailureThreshold, long breakerOpenMillis, long topologyRefreshMillis,
                               long ttlSeconds) {

    /** A capacity that never answers NO_CAPACITY: Redis's maxmemory policy is the only bound. */
    public static final long UNBOUNDED = Long.MAX_VALUE / 4;
    /** The largest piece: Redis handles values of this size without stalling other clients noticeably. */
    public static final int MAX_PIECE_BYTES = 1 << 20;

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern SEED = Pattern.compile("[^:\\s]+:\\d{1,5}");

    public RemoteTierConfig {
        Objects.requireNonNull(name, "name");
        seeds = List.copyOf(Objects.requireNonNull(seeds, "seeds"));
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException(name + ": at least one seed host:port is required");
        }
        for (String s : seeds) {
            if (!SEED.matcher(s).matches()) {
                throw new IllegalArgumentException(name + ": seed must be host:port, was '" + s + "'");
            }
        }
        if (keyPrefix == null || !PREFIX.matcher(keyPrefix).matches()) {
            throw new IllegalArgumentException(name + ": keyPrefix must be 1-64 of [A-Za-z0-9_.-], was '" + keyPrefix
                    + "'");
        }
        positive(name, "capacityBytes", capacityBytes);
        positive(name, "timeoutMillis", timeoutMillis);
        positive(name, "connectTimeoutMillis", connectTimeoutMillis);
        if (pieceBytes < 4096 || pieceBytes > MAX_PIECE_BYTES) {
            throw new IllegalArgumentException(name + ": pieceBytes must be in [4096, 1048576], was " + pieceBytes);
        }
        positive(name, "readPoolBytes", readPoolBytes);
        positive(name, "breakerFailureThreshold", breakerFailureThreshold);
        positive(name, "breakerOpenMillis", breakerOpenMillis);
        positive(name, "topologyRefreshMillis", topologyRefreshMillis);
        if (ttlSeconds < 0) {
            throw new IllegalArgumentException(name + ": ttlSeconds must be >= 0, was " + ttlSeconds);
        }
    }

    private static void positive(String tier, String field, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(tier + ": " + field + " must be >= 1, was " + v);
        }
    }

    /** Defaults for everything but the seeds: name "remote", prefix "kv", unbounded, 100 ms, 1 MiB pieces. */
    public static RemoteTierConfig defaults(List<String> seeds) {
        return builder(seeds).build();
    }

    /** A builder holding the defaults of {@link #defaults}. */
    public static Builder builder(List<String> seeds) {
        return new Builder(seeds);
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder(seeds);
        b.name = name;
        b.keyPrefix = keyPrefix;
        b.capacityBytes = capacityBytes;
        b.timeoutMillis = timeoutMillis;
        b.connectTimeoutMillis = connectTimeoutMillis;
        b.pieceBytes = pieceBytes;
        b.readPoolBytes = readPoolBytes;
        b.breakerFailureThreshold = breakerFailureThreshold;
        b.breakerOpenMillis = breakerOpenMillis;
        b.topologyRefreshMillis = topologyRefreshMillis;
        b.ttlSeconds = ttlSeconds;
        return b;
    }

    /** Builds a {@link RemoteTierConfig}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private final List<String> seeds;
        private String name = "remote";
        private String keyPrefix = "kv";
        private long capacityBytes = UNBOUNDED;
        private long timeoutMillis = 100;
        private long connectTimeoutMillis = 1000;
        private int pieceBytes = MAX_PIECE_BYTES;
        private long readPoolBytes = 64L << 20;
        private int breakerFailureThreshold = 3;
        private long breakerOpenMillis = 1000;
        private long topologyRefreshMillis = 5000;
        private long ttlSeconds;

        private Builder(List<String> seeds) {
            this.seeds = seeds;
        }

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder keyPrefix(String v) {
            keyPrefix = v;
            return this;
        }

        public Builder capacityBytes(long v) {
            capacityBytes = v;
            return this;
        }

        public Builder timeoutMillis(long v) {
            timeoutMillis = v;
            return this;
        }

        public Builder connectTimeoutMillis(long v) {
            connectTimeoutMillis = v;
            return this;
        }

        public Builder pieceBytes(int v) {
            pieceBytes = v;
            return this;
        }

        public Builder readPoolBytes(long v) {
            readPoolBytes = v;
            return this;
        }

        public Builder breaker(int failureThreshold, long openMillis) {
            breakerFailureThreshold = failureThreshold;
            breakerOpenMillis = openMillis;
            return this;
        }

        public Builder topologyRefreshMillis(long v) {
            topologyRefreshMillis = v;
            return this;
        }

        public Builder ttlSeconds(long v) {
            ttlSeconds = v;
            return this;
        }

        /** The validated config. */
        public RemoteTierConfig build() {
            return new RemoteTierConfig(name, seeds, keyPrefix, capacityBytes, timeoutMillis, connectTimeoutMillis,
                    pieceBytes, readPoolBytes, breakerFailureThreshold, breakerOpenMillis, topologyRefreshMillis,
                    ttlSeconds);
        }
    }
}
