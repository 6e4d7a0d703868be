package io.kvstore.server.resp;

import io.kvstore.server.door.DoorContext;
import io.kvstore.server.door.Reply;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The commands of the Redis door that change a connection's {@link RespSession} rather than the store: AUTH (which
 * tenant, whether admin), HELLO (protocol version), SELECT (database) and CLIENT (name, id). They run on the event
 * loop. One instance per connection.
 */
final class RespSessionCommands {

    private final DoorContext dc;
    private final RespSession s;

    RespSessionCommands(DoorContext dc, RespSession session) {
        this.dc = dc;
        this.s = session;
    }

    /** Opens the session's space for {@code tenant} (after AUTH, or at once when no tokens are configured). */
    void open(String tenant, boolean admin) {
        s.authenticated = true;
        s.admin = admin;
        s.tenant = tenant;
        s.space = dc.values().space(RespSession.DOOR, tenant, RespSession.salt(s.db));
    }

    /** {@code AUTH [user] token}: opens the tenant the token grants. */
    Reply auth(String user, String token) {
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

    /** {@code HELLO [2|3] [AUTH user token] [SETNAME name]}. */
    Reply hello(RespCommand c) {
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
                return RespReplies.error("ERR Syntax error in HELLO option '" + RespCommands.printable(c.string(i)) + "'");
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

    /** {@code SELECT db}: another namespace of the same tenant. */
    Reply select(String arg) {
        int db = Integer.parseInt(arg);
        if (db < 0) {
            return RespReplies.error("ERR DB index is out of range");
        }
        s.db = db;
        s.space = dc.values().space(RespSession.DOOR, s.tenant, RespSession.salt(db));
        return RespReplies.OK;
    }

    /** {@code CLIENT SETNAME | GETNAME | SETINFO | ID ...}. */
    Reply client(RespCommand c) {
        String sub = c.string(1).toUpperCase(Locale.ROOT);
        return switch (sub) {
            case "SETNAME" -> {
                if (c.argc() != 3) {
                    yield RespReplies.error("ERR wrong number of arguments for 'client|setname' command");
                }
                s.clientName = c.string(2);
                yield RespReplies.OK;
            }
            case "GETNAME" -> s.clientName == null ? s.nil() : RespReplies.bulk(s.clientName);
            case "SETINFO", "NO-EVICT", "NO-TOUCH", "REPLY" -> RespReplies.OK;
            case "ID" -> RespReplies.integer(s.id);
            default -> RespReplies.error("ERR unknown subcommand '" + RespCommands.printable(c.string(1))
                    + "'. Try CLIENT SETNAME, GETNAME, SETINFO or ID.");
        };
    }
}
