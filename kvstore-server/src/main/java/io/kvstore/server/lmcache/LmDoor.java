package io.kvstore.server.lmcache;

import io.kvstore.protocol.PayloadReadAllocator;
import io.kvstore.server.door.Door;
import io.kvstore.server.door.DoorContext;
import io.kvstore.server.door.NamedValues;
import io.netty.channel.Channel;

/**
 * The LMCache server-protocol door ({@code lm://}, docs/protocol-lmcache.md): {@link LmDecoder} →
 * {@link LmConnection}. Replies are raw buffers; there is no encoder. A PUT's payload may be at most
 * {@code maxFrameBytes}. PUT payloads are gathered in buffers reused across the door's connections
 * ({@link ValueBuffers}, at most {@value #IDLE_VALUE_BUFFER_BYTES} bytes of them kept idle).
 */
public final class LmDoor implements Door {

    /** Released PUT buffers kept for the next PUTs (ValueBuffers), for all the door's connections. */
    static final long IDLE_VALUE_BUFFER_BYTES = 64L << 20;

    private final DoorContext dc;
    private final ValueBuffers buffers = new ValueBuffers(IDLE_VALUE_BUFFER_BYTES);

    public LmDoor(DoorContext dc) {
        this.dc = dc;
    }

    @Override
    public String name() {
        return "lm";
    }

    @Override
    public void initChannel(Channel ch) {
        NamedValues.Space space = dc.values().space(LmConnection.DOOR, "", "");
        LmDecoder decoder = new LmDecoder(dc.config().maxFrameBytes(), buffers, dc.values(), space, dc.blocking());
        ch.config().setRecvByteBufAllocator(
                new PayloadReadAllocator(ch.config().getRecvByteBufAllocator(), decoder::readTarget));
        ch.pipeline().addLast("lm-decoder", decoder).addLast("lm-connection", new LmConnection(dc, space));
    }
}
