package io.kvstore.server.net;

import io.kvstore.protocol.ErrorCode;

/** PING: echoes up to 4 KiB. Allowed before HELLO. */
final class PingHandler implements OpHandler {

    static final int MAX_BODY = 4096;

    @Override
    public int allowedFlags() {
        return 0;
    }

    @Override
    public boolean allowedBeforeHello() {
        return true;
    }

    @Override
    public void handle(Request r) {
        if (r.body().readableBytes() > MAX_BODY) {
            r.fail(ErrorCode.LIMIT_EXCEEDED, "PING body is " + r.body().readableBytes() + " bytes, limit " + MAX_BODY);
            return;
        }
        r.reply(r.body().retainedDuplicate());
    }
}
