package io.kvstore.server.resp;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.server.door.DoorContext;
import io.kvstore.server.door.NamedValues;
import io.kvstore.server.door.NamedValues.Condition;
import io.kvstore.server.door.NamedValues.Space;
import io.kvstore.server.door.Reply;
import io.kvstore.server.door.ReplyBuffer;
import io.netty.handler.codec.redis.ArrayRedisMessage;
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
 * The commands of the Redis door: what each does to the store, which may run on the event loop, and their
 * descriptions for {@code COMMAND}. One instance per connection, bound to its {@link RespSession}.
 *
 * <p>A Redis key is a name in the session's space ({@link NamedValues}); GET, MGET, EXISTS, STRLEN and TTL touch
 * only the directory and, for a hit in an in-memory tier, the tier's memory, so they run on the event loop; SET,
 * MSET, DEL, UNLINK, EXPIRE, FLUSHDB, DBSIZE and INFO (directory scans, writes that may move blocks down to disk)
 * and reads of lower tiers run on the blocking pool.
 */
final class RespCommands {

    /**
     * Name, arity (negative: at least), flags, first key, last key, step: what {@code COMMAND} answers; and the
     * command's label in the metrics.
     */
    private record Spec(String name, int arity, String flags, int firstKey, int lastKey, int step, String label) {
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

    private final DoorContext dc;
    private final RespSession s;
    private final RespInfo info;

    RespCommands(DoorContext dc, RespSession session, RespInfo info) {
        this.dc = dc;
        this.s = session;
        this.info = info;
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

    /** Runs {@code c}; never throws (a fault is an {@code -ERR} reply). */
    Reply run(RespCommand c) {
        if (c.protocolError() != null) {
            return RespReplies.fatal("ERR Protocol error: " + c.protocolError());
        }
        String name = c.name();
        Spec spec = SPECS.get(name);
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
                case "AUTH" -> auth(c.argc() == 3 ? c.string(1) : null, c.string(c.argc() - 1));
                case "HELLO" -> hello(c);
                case "SELECT" -> select(c.string(1));
                case "GET" -> RespReplies.value(read(c.key(1, s.space)), nil());
                case "MGET" -> mget(c);
                case "SET" -> set(c);
                case "MSET" -> mset(c);
                case "SETNX" -> setnx(c);
                case "EXISTS" -> {
                    long n = 0;
                    for (int i = 1; i < c.argc(); i++) {
                        n += live(c.key(i, s.space)) ? 1 : 0;
                    }
                    yield RespReplies.integer(n);
                }
                case "DEL", "UNLINK" -> {
                    long n = 0;
                    for (int i = 1; i < c.argc(); i++) {
                        n += delete(c.key(i, s.space)) ? 1 : 0;
                    }
                    yield RespReplies.integer(n);
                }
                case "STRLEN" -> RespReplies.integer(live(c.key(1, s.space)) ? dc.values().length(s.space, c.key(1, s.space)) : 0);
                case "TTL", "PTTL" -> ttl(c.key(1, s.space), name.equals("TTL"));
                case "EXPIRE", "PEXPIRE" -> expire(c, name.equals("EXPIRE") ? 1000 : 1);
                case "PERSIST" -> RespReplies.integer(live(c.key(1, s.space))
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
                case "CLIENT" -> client(c);
                case "COMMAND" -> command(c);
                case "CONFIG" -> config(c);
                default -> RespReplies.error("ERR unknown command '" + printable(c.string(0)) + "'");
            };
        } catch (NumberFormatException e) {
            return RespReplies.error("ERR value is not an integer or out of range");
        }
    }

    /** The metrics label of a command: its name if known, else {@code unknown}. */
    static String label(RespCommand c) {
        if (c.protocolError() != null) {
            return "resp_protocol_error";
        }
        Spec spec = SPECS.get(c.name());
        return spec == null ? "resp_unknown" : spec.label();
    }

    // ------------------------------------------------------------------------------------------ connection state

    /** Opens the session's space for {@code tenant} (after AUTH, or at once when no tokens are configured). */
    void open(String tenant, boolean admin) {
        s.authenticated = true;
        s.admin = admin;
        s.tenant = tenant;
        s.space = dc.values().space(RespSession.DOOR, tenant, RespSession.salt(s.db));
    }

    private Reply auth(String user, String token) {
        if (dc.auth().open()) {
            return RespReplies.error("ERR AUTH <password> called without any password configured for the default "
                    + "user. Are you sure your configuration is correct?");
        }
        List<String> tenants = dc.auth().tenantsOf(token);
        if (tenants == null) {
            return RespReplies.error("WRONGPASS invalid username-password pair or user is disabled.");
        }
        boolean any = tenants.contains("*");
        String tenant;
        if (user == null || user.equals("default")) {
            tenant = tenants.stream().filter(t -> !t.equals("*")).findFirst().orElse("");
        } else if (any || tenants.contains(user)) {
            tenant = user;
        } else {
            return RespReplies.error("WRONGPASS invalid username-password pair or user is disabled.");
        }
        open(tenant, any);
        return RespReplies.OK;
    }

    private Reply hello(RespCommand c) {
        int i = 1;
        int proto = s.proto;
        if (c.argc() > 1) {
            String p = c.string(1);
            if (!p.equals("2") && !p.equals("3")) {
                return p.matches("-?[0-9]+") ? RespReplies.error("NOPROTO unsupported protocol version")
                        : RespReplies.error("ERR Protocol version is not an integer or out of range");
            }
            proto = p.charAt(0) - '0';
            i = 2;
        }
        for (; i < c.argc(); i++) {
            String opt = c.string(i).toUpperCase(Locale.ROOT);
            if (opt.equals("AUTH") && i + 2 < c.argc()) {
                Reply r = auth(c.string(i + 1), c.string(i + 2));
                if (r != RespReplies.OK) {
                    return r;
                }
                i += 2;
            } else if (opt.equals("SETNAME") && i + 1 < c.argc()) {
                s.clientName = c.string(++i);
            } else {
                return RespReplies.error("ERR Syntax error in HELLO option '" + printable(c.string(i)) + "'");
            }
        }
        if (!s.authenticated) {
            return RespReplies.error("NOAUTH HELLO must be called with the client already authenticated, otherwise "
                    + "the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select "
                    + "the RESP protocol version at the same time");
        }
        s.proto = proto;
        List<RedisMessage> m = new ArrayList<>();
        m.add(RespReplies.bulkMessage("server"));
        m.add(RespReplies.bulkMessage("redis"));
        m.add(RespReplies.bulkMessage("version"));
        m.add(RespReplies.bulkMessage(RespInfo.REDIS_VERSION));
        m.add(RespReplies.bulkMessage("proto"));
        m.add(new IntegerRedisMessage(proto));
        m.add(RespReplies.bulkMessage("id"));
        m.add(new IntegerRedisMessage(s.id));
        m.add(RespReplies.bulkMessage("mode"));
        m.add(RespReplies.bulkMessage("standalone"));
        m.add(RespReplies.bulkMessage("role"));
        m.add(RespReplies.bulkMessage("master"));
        m.add(RespReplies.bulkMessage("modules"));
        m.add(ArrayRedisMessage.EMPTY_INSTANCE);
        return proto == 3 ? RespReplies.map(m) : RespReplies.array(m);
    }

    /** The null reply of the session's protocol: {@code $-1} (RESP2) or {@code _} (RESP3). */
    private Reply nil() {
        return s.proto == 3 ? RespReplies.NULL : RespReplies.NIL;
    }

    private Reply select(String arg) {
        int db = Integer.parseInt(arg);
        if (db < 0) {
            return RespReplies.error("ERR DB index is out of range");
        }
        s.db = db;
        s.space = dc.values().space(RespSession.DOOR, s.tenant, RespSession.salt(db));
        return RespReplies.OK;
    }

    // ---------------------------------------------------------------------------------------------------- values

    /** True if the name has a value that has not expired. */
    private boolean live(BlockKey key) {
        return dc.values().exists(s.space, key) && !dc.expiries().isExpired(key);
    }

    private BlockHandle read(BlockKey key) {
        if (dc.expiries().isExpired(key)) {
            dc.metrics().missed(s.space.id());
            info.misses.increment();
            return null;
        }
        BlockHandle h = dc.values().get(s.space, key);
        (h == null ? info.misses : info.hits).increment();
        return h;
    }

    private boolean delete(BlockKey key) {
        boolean expired = dc.expiries().isExpired(key);
        dc.expiries().clear(key);
        return dc.values().delete(s.space, key) && !expired;
    }

    private Reply mget(RespCommand c) {
        List<BlockHandle> handles = new ArrayList<>(c.argc() - 1);
        try {
            for (int i = 1; i < c.argc(); i++) {
                handles.add(read(c.key(i, s.space)));
            }
        } catch (RuntimeException e) {
            handles.forEach(h -> {
                if (h != null) {
                    h.close();
                }
            });
            throw e;
        }
        return RespReplies.values(handles, nil());
    }

    private Reply set(RespCommand c) {
        Condition cond = Condition.ALWAYS;
        long deadline = -1;
        boolean keepTtl = false;
        for (int i = 3; i < c.argc(); i++) {
            String opt = c.string(i).toUpperCase(Locale.ROOT);
            switch (opt) {
                case "NX" -> cond = cond == Condition.ALWAYS ? Condition.IF_ABSENT : null;
                case "XX" -> cond = cond == Condition.ALWAYS ? Condition.IF_PRESENT : null;
                case "KEEPTTL" -> keepTtl = true;
                case "EX", "PX", "EXAT", "PXAT" -> {
                    if (i + 1 >= c.argc() || deadline >= 0) {
                        return RespReplies.error("ERR syntax error");
                    }
                    long v = Long.parseLong(c.string(++i));
                    if (v <= 0) {
                        return RespReplies.error("ERR invalid expire time in 'set' command");
                    }
                    long now = dc.expiries().nowMillis();
                    deadline = switch (opt) {
                        case "EX" -> now + v * 1000;
                        case "PX" -> now + v;
                        case "EXAT" -> v * 1000;
                        default -> v;
                    };
                }
                default -> {
                    return RespReplies.error("ERR syntax error");
                }
            }
        }
        if (cond == null || keepTtl && deadline >= 0) {
            return RespReplies.error("ERR syntax error");
        }
        BlockKey key = c.key(1, s.space);
        if (dc.expiries().isExpired(key)) {
            delete(key);
        }
        Reply r = store(key, c, 2, cond);
        if (r == RespReplies.OK && !keepTtl) {
            dc.expiries().set(key, deadline);
        }
        return r == RespReplies.NIL ? nil() : r;
    }

    private Reply setnx(RespCommand c) {
        BlockKey key = c.key(1, s.space);
        if (dc.expiries().isExpired(key)) {
            delete(key);
        }
        Reply r = store(key, c, 2, Condition.IF_ABSENT);
        if (r == RespReplies.OK) {
            dc.expiries().clear(key);
            return RespReplies.integer(1);
        }
        return r == RespReplies.NIL ? RespReplies.integer(0) : r;
    }

    private Reply mset(RespCommand c) {
        if (c.argc() % 2 != 1) {
            return RespReplies.error("ERR wrong number of arguments for 'mset' command");
        }
        for (int i = 1; i < c.argc(); i += 2) {
            BlockKey key = c.key(i, s.space);
            Reply r = store(key, c, i + 1, Condition.ALWAYS);
            if (r != RespReplies.OK) {
                return r;
            }
            dc.expiries().clear(key);
        }
        return RespReplies.OK;
    }

    private Reply store(BlockKey key, RespCommand c, int valueArg, Condition cond) {
        var value = c.arg(valueArg);
        NamedValues.Stored st = dc.values().put(s.space, key, value.nioBuffer(), cond);
        return switch (st) {
            case STORED -> RespReplies.OK;
            case CONDITION_NOT_MET -> RespReplies.NIL;
            case QUOTA_EXCEEDED -> RespReplies.error("OOM tenant '" + s.tenant + "' is at its quota (tenantQuotaBytes): "
                    + "a value of " + value.readableBytes() + " bytes was not stored");
            case NO_CAPACITY -> RespReplies.error("OOM no tier has room for a value of " + value.readableBytes()
                    + " bytes (everything evictable is pinned or leased)");
            case TOO_LARGE -> RespReplies.error("OOM a value of " + value.readableBytes()
                    + " bytes is larger than every tier");
            case REJECTED -> RespReplies.error("OOM every tier's admission policy refused the value");
            case FAILED -> RespReplies.error("ERR a tier failed to store the value; see the daemon's log");
        };
    }

    private Reply ttl(BlockKey key, boolean seconds) {
        if (!live(key)) {
            return RespReplies.integer(-2);
        }
        long ms = dc.expiries().remainingMillis(key);
        return RespReplies.integer(ms < 0 ? -1 : seconds ? (ms + 500) / 1000 : ms);
    }

    private Reply expire(RespCommand c, long unitMillis) {
        BlockKey key = c.key(1, s.space);
        long v = Long.parseLong(c.string(2));
        for (int i = 3; i < c.argc(); i++) {
            String opt = c.string(i).toUpperCase(Locale.ROOT);
            if (!List.of("NX", "XX", "GT", "LT").contains(opt)) {
                return RespReplies.error("ERR Unsupported option " + printable(c.string(i)));
            }
            long cur = dc.expiries().remainingMillis(key);
            boolean ok = switch (opt) {
                case "NX" -> cur < 0;
                case "XX" -> cur >= 0;
                case "GT" -> cur >= 0 && v * unitMillis > cur;
                default -> cur < 0 || v * unitMillis < cur;
            };
            if (!ok) {
                return RespReplies.integer(0);
            }
        }
        if (!live(key)) {
            return RespReplies.integer(0);
        }
        if (v <= 0) {
            delete(key);
            return RespReplies.integer(1);
        }
        dc.expiries().set(key, dc.expiries().nowMillis() + v * unitMillis);
        return RespReplies.integer(1);
    }

    // ------------------------------------------------------------------------------------------ introspection

    private Reply client(RespCommand c) {
        String sub = c.string(1).toUpperCase(Locale.ROOT);
        return switch (sub) {
            case "SETNAME" -> {
                if (c.argc() != 3) {
                    yield RespReplies.error("ERR wrong number of arguments for 'client|setname' command");
                }
                s.clientName = c.string(2);
                yield RespReplies.OK;
            }
            case "GETNAME" -> s.clientName == null ? nil() : RespReplies.bulk(s.clientName);
            case "SETINFO", "NO-EVICT", "NO-TOUCH", "REPLY" -> RespReplies.OK;
            case "ID" -> RespReplies.integer(s.id);
            default -> RespReplies.error("ERR unknown subcommand '" + printable(c.string(1))
                    + "'. Try CLIENT SETNAME, GETNAME, SETINFO or ID.");
        };
    }

    private Reply command(RespCommand c) {
        if (c.argc() == 1) {
            return RespReplies.array(new TreeMap<>(SPECS).values().stream().map(RespCommands::describe).toList());
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
                    out.add(spec == null ? io.netty.handler.codec.redis.FullBulkStringRedisMessage.NULL_INSTANCE
                            : describe(spec));
                }
                yield RespReplies.array(out);
            }
            default -> RespReplies.error("ERR unknown subcommand '" + printable(c.string(1))
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
