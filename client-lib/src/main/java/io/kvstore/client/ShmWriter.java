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
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The client side of same-host shared-memory writes (docs/protocol.md, "Writes") for one connection: SHM_PUT
 * reserves the blocks in the server's shared DRAM arena and answers where; this class copies each payload there
 * (the arena's segment files mapped read-write, each once, cached) and sends SHM_COMMIT, which computes the
 * checksums from the bytes in place (the HELLO asks for that; an older server verifies the client's instead) and
 * publishes. Blocks the server answers SEND, and every block of a group whose mapping
 * fails (the group is then aborted), go over the socket through the {@code overSocket} function the caller gives.
 *
 * <p>Blocks go in groups of at most {@value #GROUP_BYTES} bytes and the server's keys per request, pipelined one
 * group ahead: group k+1's SHM_PUT is sent as soon as group k's answer arrives, so that the server reserves it while
 * this client copies group k and the server checksums and publishes group k-1. One call holds at most three groups'
 * reserved memory at once (one being committed, one being copied, one reserved).
 *
 * <p>The mapped files: {@link ArenaFiles}. Thread-safe.
 */
final class ShmWriter {

    /** Largest group of payload bytes one SHM_PUT reserves. */
    static final long GROUP_BYTES = 32L << 20;

    private final ClientConnection conn;
    private final ArenaFiles files;
    /** False once the server answered SHM_PUT with UNKNOWN_OPCODE (an older daemon): the socket from then on. */
    private volatile boolean supported = true;

    ShmWriter(ClientConnection conn, Path directory) {
        this.conn = conn;
        this.files = new ArenaFiles(directory, true);
    }

    /** False if the server does not know SHM_PUT. */
    boolean supported() {
        return supported;
    }

    /** Puts {@code blocks} through shared memory, the others with {@code overSocket}; one status per block. */
    CompletableFuture<PutAck> put(List<BlockPayload> blocks, boolean persisted,
                                  Function<List<BlockPayload>, CompletableFuture<PutAck>> overSocket) {
        List<List<BlockPayload>> groups = groups(blocks, Math.max(1, conn.hello().maxKeysPerRequest()));
        List<CompletableFuture<PutAck>> parts = new ArrayList<>(groups.size());
        CompletableFuture<Answered> previous = null;
        for (List<BlockPayload> g : groups) {
            // the next group's reservation is asked for once this one is answered (registered after this group's
            // copy, so run before it: a completed future runs its last-registered dependent first)
            CompletableFuture<Answered> answered = previous == null ? reserve(g, overSocket)
                    : previous.thenCompose(x -> reserve(g, overSocket));
            parts.add(answered.thenCompose(a -> a.instead() != null ? a.instead()
                    : written(a.blocks(), a.reply(), persisted, overSocket)));
            previous = answered;
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<PutCode> codes = new ArrayList<>(blocks.size());
            boolean durable = persisted;
            for (CompletableFuture<PutAck> part : parts) {
                PutAck a = part.join();
                codes.addAll(a.statuses());
                durable &= a.durable();
            }
            return new PutAck(codes, durable);
        });
    }

    /**
     * A group's SHM_PUT answered: the blocks as sent and the server's reply, or, {@code instead}, the group's ack
     * by another way (the socket, for a server that does not know SHM_PUT).
     */
    private record Answered(List<BlockPayload> blocks, ShmPutReply reply, CompletableFuture<PutAck> instead) {
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

    /** Sends one group's SHM_PUT (the reservation in the server's arena); completes with the answer. */
    private CompletableFuture<Answered> reserve(List<BlockPayload> group,
                                                Function<List<BlockPayload>, CompletableFuture<PutAck>> overSocket) {
        if (!supported) {
            return CompletableFuture.completedFuture(new Answered(group, null, overSocket.apply(group)));
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
        return conn.call(Opcode.SHM_PUT, flags, body).handle((f, err) -> {
            if (err != null) {
                Throwable cause = err instanceof CompletionException ? err.getCause() : err;
                if (cause instanceof KvStoreException k && k.code() == ErrorCode.UNKNOWN_OPCODE) {
                    supported = false; // an older daemon: the socket, now and from now on
                    return new Answered(blocks, null, overSocket.apply(blocks));
                }
                throw new CompletionException(cause);
            }
            try {
                return new Answered(blocks, ShmPutReply.read(f.body(), blocks.size()), null);
            } catch (RuntimeException e) {
                throw new CompletionException(new KvStoreException(
                        "cannot read the server's SHM_PUT answer: " + e.getMessage(), e));
            } finally {
                f.release();
            }
        });
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
