package io.kvstore.server.resp;

import io.kvstore.server.door.Reply;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The commands the Redis door knows: for each its name, arity, flags and key positions (what {@code COMMAND}
 * answers, so that clients such as redis-benchmark and cluster-aware libraries can plan) and its label in the metrics.
 * Immutable after class initialization; thread-safe.
 */
final class RespCommandTable {

    /**
     * Name, arity (negative: at least), flags, first key, last key, step: what {@code COMMAND} answers; and the
     * command's label in the metrics.
     */
    record Spec(String name, int arity, String flags, int firstKey, int lastKey, int step, String label) {
    }

    private static final Map<String, Spec> SPECS = new HashMap<>();

    static {
        spec("ping", -1, "fast", 0, 0, 0);
        spec("echo", 2, "fast", 0, 0, 0);
        spec("auth", -2, "fast noauth", 0, 0, 0);
        spec("hello", -1, "fast noauth", 0, 0, 0);
        spec("select", 2, "fast", 0, 0, 0);
        spec("quit", -1, "fast noauth", 0, 0, 0);
        spec("get", 2, "readonly fast", 1, 1, 1);
        spec("set", -3, "write denyoom", 1, 1, 1);
        spec("setnx", 3, "write denyoom fast", 1, 1, 1);
        spec("mget", -2, "readonly fast", 1, -1, 1);
        spec("mset", -3, "write denyoom", 1, -1, 2);
        spec("exists", -2, "readonly fast", 1, -1, 1);
        spec("del", -2, "write", 1, -1, 1);
        spec("unlink", -2, "write fast", 1, -1, 1);
        spec("strlen", 2, "readonly fast", 1, 1, 1);
        spec("expire", -3, "write fast", 1, 1, 1);
        spec("pexpire", -3, "write fast", 1, 1, 1);
        spec("persist", 2, "write fast", 1, 1, 1);
        spec("ttl", 2, "readonly fast", 1, 1, 1);
        spec("pttl", 2, "readonly fast", 1, 1, 1);
        spec("dbsize", 1, "readonly", 0, 0, 0);
        spec("info", -1, "loading stale", 0, 0, 0);
        spec("client", -2, "loading stale", 0, 0, 0);
        spec("command", -1, "loading stale", 0, 0, 0);
        spec("config", -2, "admin loading stale", 0, 0, 0);
        spec("flushdb", -1, "write", 0, 0, 0);
    }

    private static void spec(String name, int arity, String flags, int first, int last, int step) {
        SPECS.put(name.toUpperCase(Locale.ROOT), new Spec(name, arity, flags, first, last, step, "resp_" + name));
    }

    private RespCommandTable() {
    }

    /** The spec of the command named {@code upperName} (upper case), or null if the door does not know it. */
    static Spec get(String upperName) {
        return SPECS.get(upperName);
    }

    /** The metrics label of a command: its name if known, else {@code unknown}. */
    static String label(RespCommand c) {
        if (c.protocolError() != null) {
            return "resp_protocol_error";
        }
        Spec spec = SPECS.get(c.name());
        return spec == null ? "resp_unknown" : spec.label();
    }

    /** The reply to {@code COMMAND [COUNT | DOCS | LIST | INFO name...]}. */
    static Reply command(RespCommand c) {
        if (c.argc() == 1) {
            return RespReplies.array(new TreeMap<>(SPECS).values().stream().map(RespCommandTable::describe).toList());
        }
        String sub = c.string(1).toUpperCase(Locale.ROOT);
        return switch (sub) {
            case "COUNT" -> RespReplies.integer(SPECS.size());
            case "DOCS" -> RespReplies.array(List.of());
            case "LIST" -> RespReplies.strings(SPECS.values().stream().map(Spec::name).sorted().toList());
            case "INFO" -> {
                List<RedisMessage> out = new ArrayList<>();
                for (int i = 2; i < c.argc(); i++) {
                    Spec spec = SPECS.get(c.string(i).toUpperCase(Locale.ROOT));
                    out.add(spec == null ? FullBulkStringRedisMessage.NULL_INSTANCE
                            : describe(spec));
                }
                yield RespReplies.array(out);
            }
            default -> RespReplies.error("ERR unknown subcommand '" + RespCommands.printable(c.string(1))
                    + "'. Try COMMAND, COMMAND COUNT, COMMAND DOCS, COMMAND LIST or COMMAND INFO.");
        };
    }

    private static RedisMessage describe(Spec s) {
        List<RedisMessage> flags = new ArrayList<>();
        for (String f : s.flags().split(" ")) {
            flags.add(new SimpleStringRedisMessage(f));
        }
        return new ArrayRedisMessage(List.of(RespReplies.bulkMessage(s.name()), new IntegerRedisMessage(s.arity()),
                new ArrayRedisMessage(flags), new IntegerRedisMessage(s.firstKey()),
                new IntegerRedisMessage(s.lastKey()), new IntegerRedisMessage(s.step())));
    }

}
