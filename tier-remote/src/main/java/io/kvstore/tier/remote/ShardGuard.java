package io.kvstore.tier.remote;

import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.tier.PutOutcome;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every remote call of a {@link RemoteTier} goes through here: under the circuit breaker of the shard that owns its
 * key's slot and with a deadline, and any failure (timeout, connection, cluster error) is counted and turned into
 * the call's fallback, so a slow or dead shard costs at most one timeout per breaker period instead of one per
 * block. A shard that answers {@code OOM} (full, {@code maxmemory-policy noeviction}) is healthy: its puts are
 * {@link PutOutcome#NO_CAPACITY}. Thread-safe.
 */
final class ShardGuard {

    private static final Logger LOG = LoggerFactory.getLogger(ShardGuard.class);

    /** One bounded remote operation. */
    @FunctionalInterface
    interface RemoteCall<T> {
        T run(long deadlineNanos) throws Exception;
    }

    private final String tierName;
    private final RemoteTierConfig config;
    private final NanoClock clock;
    private final long timeoutNanos;
    private final StatefulRedisClusterConnection<byte[], byte[]> connection;
    private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    final LongAdder timeouts = new LongAdder();
    final LongAdder errors = new LongAdder();
    private final LongAdder rejectedByBreaker = new LongAdder();
    private final LongAdder oom = new LongAdder();

    ShardGuard(String tierName, RemoteTierConfig config, NanoClock clock, long timeoutNanos,
               StatefulRedisClusterConnection<byte[], byte[]> connection) {
        this.tierName = tierName;
        this.config = config;
        this.clock = clock;
        this.timeoutNanos = timeoutNanos;
        this.connection = connection;
    }

    /**
     * Runs {@code call} against the shard that owns {@code routingKey} under its circuit breaker and a deadline;
     * any failure (timeout, connection, cluster error) is counted and turned into {@code fallback}.
     */
    <T> T guarded(byte[] routingKey, RemoteCall<T> call, T fallback) {
        CircuitBreaker breaker = breakerFor(routingKey);
        if (!breaker.tryAcquire()) {
            rejectedByBreaker.increment();
            return fallback;
        }
        try {
            T result = call.run(clock.nanoTime() + timeoutNanos);
            breaker.onSuccess();
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            breaker.onSuccess(); // not the shard's fault; do not leave a half-open probe dangling
            return fallback;
        } catch (TimeoutException e) {
            timeouts.increment();
            failed(breaker);
            return fallback;
        } catch (ExecutionException e) {
            return onError(e.getCause(), breaker, fallback);
        } catch (Exception e) {
            return onError(e, breaker, fallback);
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T onError(Throwable cause, CircuitBreaker breaker, T fallback) {
        if (cause instanceof RedisCommandExecutionException rce && rce.getMessage() != null
                && rce.getMessage().startsWith("OOM")) {
            oom.increment(); // the shard works, it is full and its maxmemory-policy is noeviction
            breaker.onSuccess();
            return fallback instanceof PutOutcome ? (T) PutOutcome.NO_CAPACITY : fallback;
        }
        if (cause instanceof io.lettuce.core.RedisCommandTimeoutException) {
            timeouts.increment();
        } else {
            errors.increment();
            LOG.debug("{}: remote call failed", tierName, cause);
        }
        failed(breaker);
        return fallback;
    }

    private void failed(CircuitBreaker breaker) {
        long before = breaker.openedCount();
        breaker.onFailure();
        if (breaker.openedCount() != before) {
            LOG.warn("{}: circuit breaker opened for a shard after repeated failures; its blocks are misses for {} ms",
                    tierName, config.breakerOpenMillis());
        }
    }

    /** The breaker of the shard that owns {@code routingKey}'s slot. */
    CircuitBreaker breakerFor(byte[] routingKey) {
        RedisClusterNode node = connection.getPartitions().getPartitionBySlot(SlotHash.getSlot(routingKey));
        String id = node == null ? "unassigned" : node.getNodeId();
        return breakers.computeIfAbsent(id, k -> new CircuitBreaker(clock, config.breakerFailureThreshold(),
                config.breakerOpenMillis()));
    }

    private Set<String> currentMasters() {
        Set<String> ids = new HashSet<>();
        for (RedisClusterNode n : connection.getPartitions()) {
            if (n.is(RedisClusterNode.NodeFlag.UPSTREAM) && !n.is(RedisClusterNode.NodeFlag.FAIL)
                    && !n.getSlots().isEmpty()) {
                ids.add(n.getNodeId());
            }
        }
        ids.add("unassigned");
        return ids;
    }

    /**
     * Puts the failure figures in {@code d}: {@code timeouts_total}, {@code errors_total}, {@code breaker_open}
     * (shards of the current topology whose breaker is open or half-open), {@code breaker_opened_total},
     * {@code breaker_rejections_total}, {@code oom_total}.
     */
    void stats(Map<String, Long> d) {
        Set<String> masters = currentMasters();
        long open = 0;
        long openedTotal = 0;
        for (Map.Entry<String, CircuitBreaker> e : breakers.entrySet()) {
            openedTotal += e.getValue().openedCount();
            if (masters.contains(e.getKey()) && e.getValue().state() != CircuitBreaker.State.CLOSED) {
                open++;
            }
        }
        d.put("timeouts_total", timeouts.sum());
        d.put("errors_total", errors.sum());
        d.put("breaker_open", open);
        d.put("breaker_opened_total", openedTotal);
        d.put("breaker_rejections_total", rejectedByBreaker.sum());
        d.put("oom_total", oom.sum());
    }
}
