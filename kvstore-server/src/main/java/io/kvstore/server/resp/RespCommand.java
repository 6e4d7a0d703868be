package io.kvstore.server.resp;

import io.kvstore.core.key.BlockKey;
import io.kvstore.server.door.NamedValues;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * One decoded Redis command: its arguments as buffers (the first is the command's name), or a protocol error that
 * ends the connection. Owns its buffers until {@link #release()}.
 A protocol error (input that is not RESP) has no arguments: the reply is
 * {@code -ERR Protocol error: ...} and the connection closes, as Redis does.
 */
final class RespCommand {

    private final List<ByteBuf> args;
    private final String protocolError;
    private final String name;
    private BlockKey[] keys;

    private RespCommand(List<ByteBuf> args, String protocolError) {
        this.args = args;
        this.protocolError = protocolError;
        this.name = args.isEmpty() ? "" : args.get(0).toString(StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
    }

    static RespCommand of(List<ByteBuf> args) {
        return new RespCommand(args, null);
    }

    static RespCommand error(String why) {
        return new RespCommand(List.of(), why);
    }

    /** Null, or why the input is not RESP. */
    String protocolError() {
        return protocolError;
    }

    /** The command's name in upper case. */
    String name() {
        return name;
    }

    /** The block key of argument {@code i} as a name in {@code space}; computed once per command. */
    BlockKey key(int i, NamedValues.Space space) {
        if (keys == null) {
            keys = new BlockKey[args.size()];
        }
        BlockKey k = keys[i];
        if (k == null) {
            k = NamedValues.key(space, bytes(i));
            keys[i] = k;
        }
        return k;
    }

    int argc() {
        return args.size();
    }

    ByteBuf arg(int i) {
        return args.get(i);
    }

    /** Argument {@code i} as bytes (a copy). */
    byte[] bytes(int i) {
        return ByteBufUtil.getBytes(args.get(i));
    }

    /** Argument {@code i} as a string (UTF-8). */
    String string(int i) {
        return args.get(i).toString(StandardCharsets.UTF_8);
    }

    /** Bytes held. */
    long size() {
        long n = 0;
        for (ByteBuf b : args) {
            n += b.readableBytes();
        }
        return n;
    }

    void release() {
        for (ByteBuf b : args) {
            b.release();
        }
    }
}
