package io.kvstore.server.lmcache;

import io.netty.buffer.ByteBuf;

/**
 * One decoded {@code lm://} request, or a protocol error that ends the connection.
 *
 * @param command       the command code (LmDescriptor)
 * @param key           the key, padding removed
 * @param value         PUT: the value to store (the 28-byte metadata prefix, then the payload); null otherwise.
 *                      Owned by the request until {@link #release()}
 * @param protocolError null, or why the bytes are not a request (the connection is then closed)
 */
record LmRequest(int command, String key, ByteBuf value, String protocolError) {

    static LmRequest error(String why) {
        return new LmRequest(0, "", null, why);
    }

    long size() {
        return value == null ? LmDescriptor.REQUEST_BYTES : LmDescriptor.REQUEST_BYTES + value.readableBytes();
    }

    void release() {
        if (value != null && value.refCnt() > 0) {
            value.release();
        }
    }
}
