package io.kvstore.client;

import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.ShmGetReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client side of same-host shared-memory reads (docs/protocol.md) for one connection: proves locality
 * (reads the server's nonce file and echoes it in SHM_ATTACH), maps the arena's segment files read-only (each
 * once, cached), and turns an SHM_GET answer into {@link ReceivedBlock}s that are views of the mapping. Every
 * view is checked against its CRC32C before it is handed out; a block that fails ends the shared-memory part
 * like a miss. The lease is released (SHM_RELEASE) when the last block of the answer is closed.
 *
 * <p>The mapped files: {@link ArenaFiles}. Thread-safe.
 */
final class ShmReader {

    private final ClientConnection conn;
    private final ArenaFiles files;

    private ShmReader(ClientConnection conn, Path directory, ArenaMappings mappings) {
        this.conn = conn;
        this.files = new ArenaFiles(directory, false, mappings);
    }

    /**
     * Attaches: null (the TCP path) if the nonce file cannot be read (another host or user) or the server
     * refuses.
     */
    static ShmReader attach(ClientConnection c, Path directory, Duration timeout, ArenaMappings mappings) {
        byte[] nonce;
        try {
            nonce = Files.readAllBytes(directory.resolve("shm.token"));
        } catch (IOException | SecurityException e) {
            return null;
        }
        ByteBuf body = Unpooled.buffer(nonce.length + 2);
        Wire.writeString(body, new String(nonce, StandardCharsets.US_ASCII));
        try {
            c.call(Opcode.SHM_ATTACH, 0, body).get(timeout.toMillis(), TimeUnit.MILLISECONDS).release();
            return new ShmReader(c, directory, mappings);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return null;
        }
    }

    /** The answer of one SHM_GET: blocks read in place, and whether the rest must come over TCP. */
    record Result(List<ReceivedBlock> blocks, boolean more) {
    }

    /** Leases and reads the shared-memory part of the prefix of {@code keys}. */
    CompletableFuture<Result> read(List<BlockKey> keys) {
        ByteBuf body = Unpooled.buffer(8 + keys.size() * BlockKey.BYTES);
        body.writeInt(0); // the server's longest lease
        Wire.writeKeys(body, keys);
        return conn.call(Opcode.SHM_GET, 0, body).thenApply(f -> {
            ShmGetReply reply;
            try {
                reply = ShmGetReply.read(f.body(), conn.namespace().id(), keys.size());
            } catch (RuntimeException e) {
                throw new KvStoreException("cannot read the server's SHM_GET answer: " + e.getMessage(), e);
            } finally {
                f.release();
            }
            return mapped(keys, reply);
        });
    }

    private Result mapped(List<BlockKey> keys, ShmGetReply reply) {
        List<ShmGetReply.Location> locs = reply.blocks();
        if (locs.isEmpty()) {
            return new Result(List.of(), reply.more());
        }
        Lease lease = new Lease(reply.leaseId(), locs.size());
        List<ReceivedBlock> out = new ArrayList<>(locs.size());
        boolean more = reply.more();
        try {
            for (int i = 0; i < locs.size(); i++) {
                ShmGetReply.Location l = locs.get(i);
                ByteBuffer view = view(l);
                if (view == null || !l.meta().key().equals(keys.get(i)) || !Checksums.matches(l.meta(), view)) {
                    more = false; // never serve a block that does not check out; the stream ends here
                    for (int j = i; j < locs.size(); j++) {
                        lease.blockClosed();
                    }
                    break;
                }
                out.add(new ReceivedBlock(l.meta(), Unpooled.wrappedBuffer(view).asReadOnly(), lease::blockClosed));
            }
        } catch (RuntimeException e) {
            out.forEach(ReceivedBlock::close);
            throw e;
        }
        return new Result(out, more);
    }

    /** A read-only view of a block's payload in its mapped file, or null if the location is not in the file. */
    private ByteBuffer view(ShmGetReply.Location l) {
        ByteBuffer v = files.slice(l.file(), l.offset(), l.meta().length());
        return v == null ? null : v.asReadOnlyBuffer();
    }

    /** Counts the open blocks of one lease; the last close releases it on the server. */
    private final class Lease {
        private final long id;
        private final AtomicInteger open;

        Lease(long id, int blocks) {
            this.id = id;
            this.open = new AtomicInteger(blocks);
        }

        void blockClosed() {
            if (open.decrementAndGet() == 0 && conn.isOpen()) {
                ByteBuf b = Unpooled.buffer(8).writeLong(id);
                conn.call(Opcode.SHM_RELEASE, 0, b).whenComplete((fr, e) -> {
                    if (fr != null) {
                        fr.release();
                    }
                });
            }
        }
    }
}
