package io.kvstore.server.resp;

import io.kvstore.server.door.DoorContext;
import io.kvstore.server.door.NamedValues;
import io.kvstore.server.door.Reply;
import io.kvstore.server.door.ReplyBuffer;
import io.kvstore.server.resp.RespCommandTable.Spec;
import io.netty.handler.codec.redis.RedisMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The commands of the Redis door: which may run on the event loop, and the dispatch of each to the class of its
 * concept ({@link RespCommandTable} for what the door knows and COMMAND, {@link RespSessionCommands} for AUTH, HELLO,
 * SELECT and CLIENT, {@link RespValueCommands} for values and their expiry). One instance per connection, bound to
 * its {@link RespSession}.
 *
 * <p>A Redis key is a name in the session's space ({@link NamedValues}); GET, MGET, EXISTS, STRLEN and TTL touch
 * only the directory and, for a hit in an in-memory tier, the tier's memory, so they run on the event loop; SET,
 * MSET, DEL, UNLINK, EXPIRE, FLUSHDB, DBSIZE and INFO (directory scans, writes that may move blocks down to disk)
 * and reads of lower tiers run on the blocking pool.
 */
final class RespCommands {

    private final DoorContext dc;
    private final RespSession s;
    private final RespInfo info;
    private final RespSessionCommands sessions;
    private final RespValueCommands values;

    RespCommands(DoorContext dc, RespSession session, RespInfo info) {
        this.dc = dc;
        this.s = session;
        this.info = info;
        this.sessions = new RespSessionCommands(dc, session);
        this.values = new RespValueCommands(dc, session, info);
    }

    /** Opens the session's space for {@code tenant} (after AUTH, or at once when no tokens are configured). */
    void open(String tenant, boolean admin) {
        sessions.open(tenant, admin);
    }

    /** True if {@code c} may run on the event loop. */
    boolean inline(RespCommand c) {
        if (c.protocolError() != null) {
            return true;
        }
        switch (c.name()) {
            case "GET", "STRLEN", "TTL", "PTTL", "EXISTS", "MGET" -> {
                if (!s.authenticated || s.space == null || c.argc() < 2) {
                    return true;
                }
                if (dc.values().store().hasSharedTier()) {
                    return false; // a miss asks the shared tier: network I/O
                }
                for (int i = 1; i < c.argc(); i++) {
                    String tier = dc.values().tierHolding(c.key(i, s.space));
                    if (tier != null && !dc.inMemory(tier)) {
                        return false; // a lower tier: I/O
                    }
                }
                return true;
            }
            case "SET", "SETNX", "MSET", "DEL", "UNLINK", "EXPIRE", "PEXPIRE", "FLUSHDB", "DBSIZE", "INFO" -> {
                return !s.authenticated; // answered NOAUTH at once
            }
            default -> {
                return true;
            }
        }
    }

    /**
     * Runs {@code c} here, on the event loop, if it is a SET that needs no waiting after all (its name's old value, if
     * any, in memory, and room for the new one at once: {@link NamedValues#tryPut}); null otherwise, and {@link #run}
     * on the blocking pool completes whatever this began.
     */
    Reply tryRunHere(RespCommand c) {
        if (c.protocolError() != null || !"SET".equals(c.name()) || !s.authenticated || s.space == null
                || c.argc() < 3) {
            return null;
        }
        try {
            return values.trySet(c);
        } catch (NumberFormatException e) {
            return RespReplies.error("ERR value is not an integer or out of range");
        }
    }

    /** Runs {@code c}; never throws (a fault is an {@code -ERR} reply). */
    Reply run(RespCommand c) {
        if (c.protocolError() != null) {
            return RespReplies.fatal("ERR Protocol error: " + c.protocolError());
        }
        String name = c.name();
        Spec spec = RespCommandTable.get(name);
        if (spec == null) {
            return RespReplies.error("ERR unknown command '" + printable(c.string(0)) + "', with args beginning with: "
                    + argsPreview(c));
        }
        if (spec.arity() > 0 ? c.argc() != spec.arity() : c.argc() < -spec.arity()) {
            return RespReplies.error("ERR wrong number of arguments for '" + spec.name() + "' command");
        }
        if (!s.authenticated && !spec.flags().contains("noauth")) {
            return RespReplies.error("NOAUTH Authentication required.");
        }
        try {
            return switch (name) {
                case "PING" -> c.argc() == 1 ? RespReplies.simple("PONG") : RespReplies.bulk(c.string(1));
                case "ECHO" -> RespReplies.bulk(c.string(1));
                case "QUIT" -> new Reply() {
                    @Override
                    public void write(ReplyBuffer out) {
                        RespReplies.OK.write(out);
                    }

                    @Override
                    public boolean closes() {
                        return true;
                    }
                };
                case "AUTH" -> sessions.auth(c.argc() == 3 ? c.string(1) : null, c.string(c.argc() - 1));
                case "HELLO" -> sessions.hello(c);
                case "SELECT" -> sessions.select(c.string(1));
                case "GET" -> RespReplies.value(values.read(c.key(1, s.space)), s.nil());
                case "MGET" -> values.mget(c);
                case "SET" -> values.set(c);
                case "MSET" -> values.mset(c);
                case "SETNX" -> values.setnx(c);
                case "EXISTS" -> {
                    long n = 0;
                    for (int i = 1; i < c.argc(); i++) {
                        n += values.live(c.key(i, s.space)) ? 1 : 0;
                    }
                    yield RespReplies.integer(n);
                }
                case "DEL", "UNLINK" -> {
                    long n = 0;
                    for (int i = 1; i < c.argc(); i++) {
                        n += values.delete(c.key(i, s.space)) ? 1 : 0;
                    }
                    yield RespReplies.integer(n);
                }
                case "STRLEN" -> RespReplies.integer(values.live(c.key(1, s.space))
                        ? dc.values().length(s.space, c.key(1, s.space)) : 0);
                case "TTL", "PTTL" -> values.ttl(c.key(1, s.space), name.equals("TTL"));
                case "EXPIRE", "PEXPIRE" -> values.expire(c, name.equals("EXPIRE") ? 1000 : 1);
                case "PERSIST" -> RespReplies.integer(values.live(c.key(1, s.space))
                        && dc.expiries().clear(c.key(1, s.space)) ? 1 : 0);
                case "DBSIZE" -> RespReplies.integer(dc.values().count(s.space));
                case "FLUSHDB" -> {
                    if (!s.admin) {
                        yield RespReplies.error("NOPERM this user has no permissions to run the 'flushdb' command "
                                + "(it needs a token granted every tenant, '*')");
                    }
                    dc.values().flush(s.space);
                    yield RespReplies.OK;
                }
                case "INFO" -> RespReplies.bulk(info.text(s, c.argc() > 1 ? c.string(1) : "default"));
                case "CLIENT" -> sessions.client(c);
                case "COMMAND" -> RespCommandTable.command(c);
                case "CONFIG" -> config(c);
                default -> RespReplies.error("ERR unknown command '" + printable(c.string(0)) + "'");
            };
        } catch (NumberFormatException e) {
            return RespReplies.error("ERR value is not an integer or out of range");
        }
    }

    private Reply config(RespCommand c) {
        String sub = c.string(1).toUpperCase(Locale.ROOT);
        return switch (sub) {
            case "GET" -> {
                List<String> out = new ArrayList<>();
                for (int i = 2; i < c.argc(); i++) {
                    String p = c.string(i).toLowerCase(Locale.ROOT);
                    switch (p) { // what redis-benchmark asks before it starts
                        case "save" -> out.addAll(List.of("save", ""));
                        case "appendonly" -> out.addAll(List.of("appendonly", "no"));
                        case "databases" -> out.addAll(List.of("databases", Integer.toString(Integer.MAX_VALUE)));
                        default -> {
                        }
                    }
                }
                yield s.proto == 3 ? RespReplies.map(out.stream().<RedisMessage>map(RespReplies::bulkMessage).toList())
                        : RespReplies.strings(out);
            }
            case "RESETSTAT" -> RespReplies.OK;
            default -> RespReplies.error("ERR CONFIG " + printable(c.string(1)) + " is not supported: kvstore is "
                    + "configured by its YAML file, environment and flags (docs/server.md)");
        };
    }

    private static String argsPreview(RespCommand c) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < c.argc() && b.length() < 128; i++) {
            b.append('\'').append(printable(c.string(i))).append("' ");
        }
        return b.toString();
    }

    /** At most 64 characters, without control characters (an error line must stay one line). */
    static String printable(String s) {
        String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}
