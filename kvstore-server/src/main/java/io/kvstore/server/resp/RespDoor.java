package io.kvstore.server.resp;

import io.kvstore.protocol.PayloadReadAllocator;
import io.kvstore.server.door.Door;
import io.kvstore.server.door.DoorContext;
import io.netty.channel.Channel;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;

/**
 * The Redis-protocol door (RESP2, and RESP3 after {@code HELLO 3}; docs/protocol-resp.md): Netty's
 * {@link RedisDecoder} (inline commands too) → {@link RespCommandDecoder} (commands, with the daemon's limits) →
 * {@link RedisEncoder} (composite replies only; the others are bytes in the connection's reply buffer) →
 * {@link RespConnection}. A command may have at most {@code 2 * maxKeysPerRequest + 2} arguments, a value at most
 * {@code maxFrameBytes}.
 */
public final class RespDoor implements Door {

    private final DoorContext dc;
    private final RespInfo info;

    public RespDoor(DoorContext dc) {
        this.dc = dc;
        this.info = new RespInfo(dc);
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public void bound(int port) {
        info.port(port);
    }

    @Override
    public void initChannel(Channel ch) {
        RespCommandDecoder commands = new RespCommandDecoder(2 * dc.config().maxKeysPerRequest() + 2,
                dc.config().maxFrameBytes(), ch.alloc());
        // a large value's bytes are read by the socket straight into the buffer it is gathered in
        ch.config().setRecvByteBufAllocator(
                new PayloadReadAllocator(ch.config().getRecvByteBufAllocator(), commands::readTarget));
        ch.pipeline().addLast("resp-decoder", new RedisDecoder(true))
                .addLast("resp-commands", commands)
                .addLast("resp-encoder", new RedisEncoder())
                .addLast("resp-connection", new RespConnection(dc, info));
    }
}
