package io.kvstore.server.resp;

import io.kvstore.server.door.NamedValues;
import io.kvstore.server.door.Reply;

/**
 * A Redis connection's state: whether it has authenticated, its tenant and database (which together pick its
 * namespace), whether its token may run admin commands, its client name and its protocol version (HELLO). Changed
 * only by commands that run on the event loop; read by batched commands on the blocking pool after a hand-off, which
 * orders the reads after the writes.
 */
final class RespSession {

    /** The door's name in namespaces ({@code door:redis}). */
    static final String DOOR = "redis";

    final long id;
    boolean authenticated;
    boolean admin;
    String tenant = "";
    int db;
    String clientName;
    /** The RESP version HELLO chose: 2 (the default) or 3. */
    int proto = 2;
    NamedValues.Space space;

    RespSession(long id) {
        this.id = id;
    }

    /** The namespace salt of database {@code db}: none for 0, as most clients use only that one. */
    static String salt(int db) {
        return db == 0 ? "" : "db" + db;
    }

    /** The null reply of the session's protocol: {@code $-1} (RESP2) or {@code _} (RESP3). */
    Reply nil() {
        return proto == 3 ? RespReplies.NULL : RespReplies.NIL;
    }
}
