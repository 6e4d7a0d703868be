package io.kvstore.server.resp;

import io.kvstore.server.door.DoorConnection;
import io.kvstore.server.door.DoorContext;
import io.kvstore.server.door.Reply;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * One Redis client's connection: its session, and its commands run in order through {@link RespCommands}
 * ({@link DoorConnection} decides where each runs and keeps the replies in order). Counts every command in the
 * daemon's {@code kvstore_requests_total} / {@code kvstore_request_duration_seconds} under {@code resp_<command>}.
 */
final class RespConnection extends DoorConnection<RespCommand> {

    private static final Logger LOG = LoggerFactory.getLogger(RespConnection.class);
    private static final AtomicLong IDS = new AtomicLong();

    private final RespInfo info;
    private final RespCommands commands;

    RespConnection(DoorContext dc, RespInfo info) {
        super(dc, RespCommand.class);
        this.info = info;
        RespSession session = new RespSession(IDS.incrementAndGet());
        this.commands = new RespCommands(dc, session, info);
        if (dc.auth().open()) {
            commands.open("", true);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        info.clients.incrementAndGet();
        info.connections.increment();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        info.clients.decrementAndGet();
        super.channelInactive(ctx);
    }

    @Override
    protected boolean inline(RespCommand c) {
        return commands.inline(c);
    }

    @Override
    protected Reply execute(RespCommand c) {
        return timed(c, commands::run);
    }

    @Override
    protected Reply tryExecuteHere(RespCommand c) {
        return timed(c, commands::tryRunHere);
    }

    /** Runs {@code c} through {@code run} and counts it, unless {@code run} answered null (nothing ran). */
    private Reply timed(RespCommand c, Function<RespCommand, Reply> run) {
        long t0 = System.nanoTime();
        Reply r;
        try {
            r = run.apply(c);
        } catch (RuntimeException e) {
            r = failed(c, e);
        }
        return r == null ? null : counted(c, r, t0);
    }

    private static Reply failed(RespCommand c, RuntimeException e) {
        LOG.warn("redis door: {} failed", RespCommandTable.label(c), e);
        return RespReplies.error("ERR internal error in " + c.name() + ": " + RespCommands.printable(e.toString()));
    }

    /** Counts a command that ran (started at {@code t0}) in the door's and the daemon's figures. */
    private Reply counted(RespCommand c, Reply r, long t0) {
        info.commands.increment();
        dc.metrics().request(RespCommandTable.label(c), r instanceof RespReplies.Error ? "error" : "ok",
                System.nanoTime() - t0);
        if (c.protocolError() != null) {
            dc.metrics().protocolError("RESP_PROTOCOL_ERROR");
        }
        return r;
    }

    @Override
    protected long bytes(RespCommand c) {
        return c.size();
    }

    @Override
    protected void release(RespCommand c) {
        c.release();
    }
}
