package io.kvstore.server.resp;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.server.door.DoorContext;
import io.kvstore.server.door.NamedValues;
import io.kvstore.server.door.NamedValues.Condition;
import io.kvstore.server.door.Reply;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The commands of the Redis door on values: a Redis key is a name in the session's space ({@link NamedValues}),
 * with an optional expiry kept beside it. What each store outcome answers (OOM for a quota or a full store, nil for a
 * condition not met) is decided here. One instance per connection; which of these may run on the event loop is
 * {@link RespCommands#inline}'s decision.
 */
final class RespValueCommands {

    private final DoorContext dc;
    private final RespSession s;
    private final RespInfo info;

    RespValueCommands(DoorContext dc, RespSession session, RespInfo info) {
        this.dc = dc;
        this.s = session;
        this.info = info;
    }

    /** True if the name has a value that has not expired. */
    boolean live(BlockKey key) {
        return dc.values().exists(s.space, key) && !dc.expiries().isExpired(key);
    }

    /** The value of a name, or null if absent or expired; counts a hit or a miss. */
    BlockHandle read(BlockKey key) {
        if (dc.expiries().isExpired(key)) {
            dc.metrics().missed(s.space.id());
            info.misses.increment();
            return null;
        }
        BlockHandle h = dc.values().get(s.space, key);
        (h == null ? info.misses : info.hits).increment();
        return h;
    }

    /** Deletes a name; true if it had a value that had not expired. */
    boolean delete(BlockKey key) {
        boolean expired = dc.expiries().isExpired(key);
        dc.expiries().clear(key);
        return dc.values().delete(s.space, key) && !expired;
    }

    /** {@code MGET name...}. */
    Reply mget(RespCommand c) {
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
        return RespReplies.values(handles, s.nil());
    }

    /** {@code SET name value [NX|XX] [KEEPTTL] [EX|PX|EXAT|PXAT t]}. */
    Reply set(RespCommand c) {
        return set(c, true);
    }

    /** {@link #set} on the event loop where it needs no waiting, else null ({@link NamedValues#tryPut}). */
    Reply trySet(RespCommand c) {
        return set(c, false);
    }

    private Reply set(RespCommand c, boolean mayWait) {
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
            if (!mayWait) {
                return null;
            }
            delete(key);
        }
        Reply r = mayWait ? store(key, c, 2, cond) : tryStore(key, c, 2, cond);
        if (r == null) {
            return null;
        }
        if (r == RespReplies.OK && !keepTtl) {
            dc.expiries().set(key, deadline);
        }
        return r == RespReplies.NIL ? s.nil() : r;
    }

    /** {@code SETNX name value}. */
    Reply setnx(RespCommand c) {
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

    /** {@code MSET name value [name value...]}. */
    Reply mset(RespCommand c) {
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
        return stored(dc.values().put(s.space, key, value.nioBuffer(), cond), value.readableBytes());
    }

    /** {@link #store} where it needs no waiting (an event loop), else null. */
    private Reply tryStore(BlockKey key, RespCommand c, int valueArg, Condition cond) {
        var value = c.arg(valueArg);
        NamedValues.Stored st = dc.values().tryPut(s.space, key, value.nioBuffer(), cond, dc::inMemory);
        return st == null ? null : stored(st, value.readableBytes());
    }

    /** The reply to a value of {@code length} bytes that a put answered {@code st} for. */
    private Reply stored(NamedValues.Stored st, int length) {
        return switch (st) {
            case STORED -> RespReplies.OK;
            case CONDITION_NOT_MET -> RespReplies.NIL;
            case QUOTA_EXCEEDED -> RespReplies.error("OOM tenant '" + s.tenant + "' is at its quota (tenantQuotaBytes): "
                    + "a value of " + length + " bytes was not stored");
            case NO_CAPACITY -> RespReplies.error("OOM no tier has room for a value of " + length
                    + " bytes (everything evictable is pinned or leased)");
            case TOO_LARGE -> RespReplies.error("OOM a value of " + length
                    + " bytes is larger than every tier");
            case REJECTED -> RespReplies.error("OOM every tier's admission policy refused the value");
            case FAILED -> RespReplies.error("ERR a tier failed to store the value; see the daemon's log");
        };
    }

    /** {@code TTL} ({@code seconds}) or {@code PTTL}. */
    Reply ttl(BlockKey key, boolean seconds) {
        if (!live(key)) {
            return RespReplies.integer(-2);
        }
        long ms = dc.expiries().remainingMillis(key);
        return RespReplies.integer(ms < 0 ? -1 : seconds ? (ms + 500) / 1000 : ms);
    }

    /** {@code EXPIRE} or {@code PEXPIRE} ({@code unitMillis} 1000 or 1) with NX, XX, GT, LT. */
    Reply expire(RespCommand c, long unitMillis) {
        BlockKey key = c.key(1, s.space);
        long v = Long.parseLong(c.string(2));
        for (int i = 3; i < c.argc(); i++) {
            String opt = c.string(i).toUpperCase(Locale.ROOT);
            if (!List.of("NX", "XX", "GT", "LT").contains(opt)) {
                return RespReplies.error("ERR Unsupported option " + RespCommands.printable(c.string(i)));
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
}
