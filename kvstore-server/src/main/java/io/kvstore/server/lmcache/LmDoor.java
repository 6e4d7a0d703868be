package io.kvstore.server.lmcache;

import io.kvstore.server.door.Door;
import io.kvstore.server.door.DoorContext;
import io.netty.channel.Channel;

/**
 * The LMCache server-protocol door ({@code lm://}, docs/protocol-lmcache.md): {@link LmDecoder} →
 * {@link LmConnection}. Replies are raw buffers; there is no encoder. A PUT's payload may be at most
 * {@code maxFrameBytes}.
 */
public final class LmDoor implements Door {

    private final DoorContext dc;

    public LmDoor(DoorContext dc) {
        this.dc = dc;
    }

    @Override
    public String name() {
        return "lm";
    }

    @Override
    public void initChannel(Channel ch) {
        LmDecoder decoder = new LmDecoder(dc.config().maxFrameBytes());
        ch.config().setRecvByteBufAllocator(new PayloadReadAllocator(ch.config().getRecvByteBufAllocator(), decoder));
        ch.pipeline().addLast("lm-decoder", decoder).addLast("lm-connection", new LmConnection(dc));
    }
}
