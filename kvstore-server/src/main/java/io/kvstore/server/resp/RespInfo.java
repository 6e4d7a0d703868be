package io.kvstore.server.resp;

import io.kvstore.core.store.LevelStats;
import io.kvstore.core.store.TieredStore;
import io.kvstore.server.admin.AdminServer;
import io.kvstore.server.door.DoorContext;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The text of {@code INFO}: the sections {@code server}, {@code clients}, {@code memory}, {@code stats} and
 * {@code keyspace} in Redis's {@code field:value} format, with kvstore's own figures (memory is the tiers' use and
 * capacity, the hits and misses are the door's). Shared by the door's connections; thread-safe.
 */
final class RespInfo {

    /** The Redis version the door answers to clients that ask (HELLO, INFO): the command set it follows. */
    static final String REDIS_VERSION = "7.2.0";

    final AtomicInteger clients = new AtomicInteger();
    final LongAdder commands = new LongAdder();
    final LongAdder connections = new LongAdder();
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    private final DoorContext dc;
    private volatile int port;

    RespInfo(DoorContext dc) {
        this.dc = dc;
    }

    /** The door's bound port, for {@code tcp_port}. */
    void port(int port) {
        this.port = port;
    }

    String text(RespSession s, String section) {
        String sec = section.toLowerCase(Locale.ROOT);
        boolean all = sec.equals("default") || sec.equals("all") || sec.equals("everything");
        StringBuilder b = new StringBuilder();
        TieredStore store = dc.values().store();
        if (all || sec.equals("server")) {
            b.append("# Server\r\n")
                    .append("redis_version:").append(REDIS_VERSION).append("\r\n")
                    .append("kvstore_version:").append(AdminServer.VERSION).append("\r\n")
                    .append("redis_mode:standalone\r\n")
                    .append("os:").append(System.getProperty("os.name")).append(' ')
                    .append(System.getProperty("os.arch")).append("\r\n")
                    .append("process_id:").append(ProcessHandle.current().pid()).append("\r\n")
                    .append("tcp_port:").append(port).append("\r\n")
                    .append("uptime_in_seconds:").append(ManagementFactory.getRuntimeMXBean().getUptime() / 1000)
                    .append("\r\n")
                    .append("tiers:").append(String.join(",", store.tierNames())).append("\r\n\r\n");
        }
        if (all || sec.equals("clients")) {
            b.append("# Clients\r\nconnected_clients:").append(clients.get()).append("\r\n\r\n");
        }
        if (all || sec.equals("memory")) {
            long used = 0;
            long capacity = 0;
            StringBuilder tiers = new StringBuilder();
            for (LevelStats l : store.stats()) {
                used += l.tier().usedBytes();
                capacity += l.tier().capacityBytes();
                tiers.append("tier_").append(l.tier().name()).append("_used_bytes:").append(l.tier().usedBytes())
                        .append("\r\n").append("tier_").append(l.tier().name()).append("_capacity_bytes:")
                        .append(l.tier().capacityBytes()).append("\r\n");
            }
            b.append("# Memory\r\n")
                    .append("used_memory:").append(used).append("\r\n")
                    .append("maxmemory:").append(capacity).append("\r\n")
                    .append("maxmemory_policy:kvstore-tiers\r\n")
                    .append(tiers).append("\r\n");
        }
        if (all || sec.equals("stats")) {
            b.append("# Stats\r\n")
                    .append("total_connections_received:").append(connections.sum()).append("\r\n")
                    .append("total_commands_processed:").append(commands.sum()).append("\r\n")
                    .append("keyspace_hits:").append(hits.sum()).append("\r\n")
                    .append("keyspace_misses:").append(misses.sum()).append("\r\n")
                    .append("evicted_keys:").append(store.stats().stream().mapToLong(LevelStats::evicted).sum())
                    .append("\r\n\r\n");
        }
        if (all || sec.equals("keyspace")) {
            long keys = s.space == null ? 0 : dc.values().count(s.space);
            b.append("# Keyspace\r\n");
            if (keys > 0) {
                b.append("db").append(s.db).append(":keys=").append(keys).append(",expires=")
                        .append(dc.expiries().size()).append(",avg_ttl=0\r\n");
            }
        }
        return b.toString();
    }
}
