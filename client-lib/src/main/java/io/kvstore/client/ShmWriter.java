package io.kvstore.client;

import io.kvstore.protocol.BlockDescriptor;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.protocol.body.ShmPutReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The client side of same-host shared-memory writes (docs/protocol.md, "Writes") for one connection: SHM_PUT
 * reserves the blocks in the server's shared DRAM arena and answers where; this class copies each payload there
 * (the arena's segment files mapped read-write, each once, cached) and sends SHM_COMMIT, which computes the
 * checksums from the bytes in place (the HELLO asks for that; an older server verifies the client's instead) and
 * publishes. Blocks the server answers SEND, and every block of a group whose mapping
 * fails (the group is then aborted), go over the socket through the {@code overSocket} function the caller gives.
 *
 * <p>Blocks go in groups of at most {@value #GROUP_BYTES} bytes and the server's keys per request, one group at a
 * time, so one connection never holds more reserved memory than that.
 *
 * <p>The mapped files: {@link ArenaFiles}. Thread-safe.
 */
final class ShmWriter {

    /** Largest group of payload bytes one SHM_PUT reserves. */
    static final long GROUP_BYTES = 64L << 20;

    private final ClientConnection conn;
    private final ArenaFiles files;
    /** False once the server answered SHM_PUT with UNKNOWN_OPCODE (an older daemon): the socket from then on. */
    private volatile boolean supported = true;

    ShmWriter(ClientConnection conn, Path directory, ArenaMappings mappings) {
        this.conn = conn;
        this.files = new ArenaFiles(directory, true, mappings);
    }

    /** False if the server does not know SHM_PUT. */
    boolean supported() {
        return supported;
    }

    /** Puts {@code blocks} through shared memory, the others with {@code overSocket}; one status per block. */
    CompletableFuture<PutAck> put(List<BlockPayload> blocks, boolean persisted,
                                  Function<List<BlockPayload>, CompletableFuture<PutAck>> overSocket) {
        return Requests.inTurn(groups(blocks, conn.maxKeysPerRequest()), g -> putGroup(g, persisted, overSocket))
                .thenApply(acks -> PutAck.concat(acks, persisted));
    }

    private static List<List<BlockPayload>> groups(List<BlockPayload> blocks, int maxKeys) {
        List<List<BlockPayload>> out = new ArrayList<>();
        List<BlockPayload> cur = new ArrayList<>();
        long bytes = 0;
        for (BlockPayload b : blocks) {
            long n = b.payload().remaining();
            if (!cur.isEmpty() && (bytes + n > GROUP_BYTES || cur.size() >= maxKeys)) {
                out.add(cur);
                cur = new ArrayList<>();
                bytes = 0;
            }
            cur.add(b);
            bytes += n;
        }
        if (!cur.isEmpty()) {
            out.add(cur);
        }
        return out;
    }

    private CompletableFuture<PutAck> putGroup(List<BlockPayload> group, boolean persisted,
                                               Function<List<BlockPayload>, CompletableFuture<PutAck>> overSocket) {
        if (!supported) {
            return overSocket.apply(group);
        }
        boolean tokens = conn.hello().wantsTokenIds() && group.stream().allMatch(b -> b.tokenIds() != null);
        // the server reads every byte at the commit anyway: where it may, it computes the checksums from them
        boolean byServer = conn.hello().grantsServerChecksum();
        List<BlockPayload> blocks = byServer ? group : group.stream().map(BlockPayload::checksummed).toList();
        int flags = (tokens ? FrameDescriptor.FLAG_TOKENS : 0)
                | (byServer ? FrameDescriptor.FLAG_SERVER_CHECKSUM : 0);
        ByteBuf body = Unpooled.buffer(4 + blocks.size() * (BlockDescriptor.BYTES
                + (tokens ? 4 + 4 * blocks.get(0).tokenIds().length : 0)));
        body.writeInt(blocks.size());
        for (BlockPayload b : blocks) {
            Wire.writeBlockHeader(body, b.meta());
            if (tokens) {
                Wire.writeTokenIds(body, b.tokenIds());
            }
        }
        return conn.call(Opcode.SHM_PUT, flags, body)
                .handle((f, err) -> {
                    if (err != null) {
                        Throwable cause = err instanceof java.util.concurrent.CompletionException ? err.getCause() : err;
                        if (cause instanceof KvStoreException k && k.code() == ErrorCode.UNKNOWN_OPCODE) {
                            supported = false; // an older daemon: the socket, now and from now on
                            return overSocket.apply(blocks);
                        }
                        return CompletableFuture.<PutAck>failedFuture(cause);
                    }
                    ShmPutReply reply;
                    try {
                        reply = ShmPutReply.read(f.body(), blocks.size());
                    } catch (RuntimeException e) {
                        return CompletableFuture.<PutAck>failedFuture(new KvStoreException(
                                "cannot read the server's SHM_PUT answer: " + e.getMessage(), e));
                    } finally {
                        f.release();
                    }
                    return written(blocks, reply, persisted, overSocket);
                }).thenCompose(x -> x);
    }

    /** Copies the WRITE blocks into place, commits them, and sends the SEND blocks over the socket. */
    private CompletableFuture<PutAck> written(List<BlockPayload> blocks, ShmPutReply reply, boolean persisted,
                                              Function<List<BlockPayload>, CompletableFuture<PutAck>> overSocket) {
        if (reply.slots().size() != blocks.size()) {
            abort(reply.putId());
            return CompletableFuture.failedFuture(new KvStoreException(ErrorCode.MALFORMED, "the server answered SHM_PUT for "
                    + reply.slots().size() + " blocks, " + blocks.size() + " were sent"));
        }
        List<BlockPayload> send = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            ShmPutReply.Slot s = reply.slots().get(i);
            if (s.kind() == ShmPutReply.Kind.WRITE) {
                ByteBuffer target = files.slice(s.file(), s.offset(), blocks.get(i).payload().remaining());
                if (target == null) { // cannot map the server's file: abort the group, all of it over the socket
                    abort(reply.putId());
                    return overSocket.apply(blocks);
                }
                target.put(blocks.get(i).payload().duplicate());
            } else if (s.kind() == ShmPutReply.Kind.SEND) {
                send.add(blocks.get(i));
            }
        }
        CompletableFuture<PutAck> committed = reply.putId() == 0
                ? CompletableFuture.completedFuture(new PutAck(List.of(), persisted))
                : commit(reply.putId(), persisted);
        CompletableFuture<PutAck> sent = send.isEmpty()
                ? CompletableFuture.completedFuture(new PutAck(List.of(), persisted)) : overSocket.apply(send);
        return committed.thenCombine(sent, (c, p) -> {
            List<PutCode> codes = new ArrayList<>(blocks.size());
            int ci = 0;
            int pi = 0;
            for (ShmPutReply.Slot s : reply.slots()) {
                codes.add(switch (s.kind()) {
                    case WRITE -> c.statuses().get(ci++);
                    case SEND -> p.statuses().get(pi++);
                    case DONE -> s.code();
                });
            }
            return new PutAck(codes, c.durable() && p.durable());
        });
    }

    private CompletableFuture<PutAck> commit(long putId, boolean persisted) {
        ByteBuf body = Unpooled.buffer(9).writeLong(putId).writeByte(0);
        return conn.call(Opcode.SHM_COMMIT, persisted ? FrameDescriptor.FLAG_ACK_PERSISTED : 0, body).thenApply(f -> {
            try {
                return PutAck.read(f.body());
            } finally {
                f.release();
            }
        });
    }

    private void abort(long putId) {
        if (putId == 0) {
            return;
        }
        conn.call(Opcode.SHM_COMMIT, 0, Unpooled.buffer(9).writeLong(putId).writeByte(1)).whenComplete((f, e) -> {
            if (f != null) {
                f.release();
            }
        });
    }
}
