package io.kvstore.server.net;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.LookupResult;
import io.kvstore.protocol.BlockDescriptor;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.FrameEncoder;
import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;

import java.util.ArrayDeque;
import java.util.List;

/**
 * GET: streams the cached prefix of the requested keys, one frame per block, in order, then an END frame.
 *
 * <p>The data path: the block header goes out in a small pooled buffer and the payload as
 * {@link Unpooled#wrappedBuffer} of the tier handle's own {@link java.nio.ByteBuffer}, so an off-heap (DRAM)
 * payload reaches the socket without a copy on the heap; the handle is closed by a listener on the write, that
 * is, once Netty has written (or dropped) the buffer. Blocks in an in-memory tier are read on the event loop;
 * others on the bounded blocking pool, and so is a block the lookup found in memory that has been demoted since
 * ({@code TieredStore.getIf}): the event loop never reads a disk. Blocks outside memory are read in runs ({@code
 * TieredStore.getAll}: the NVMe tier reads neighbouring records with one I/O and keeps several reads in flight) of
 * {@link Stream#RUN_BLOCKS} blocks, or more small ones up to {@link Stream#RUN_BYTES} ({@link Stream#MAX_RUN_BLOCKS}
 * at most), so that a prefix streamed from NVMe does not pay a pool hand-off and a device round trip per block. (A
 * run of 4 blocks whatever their size made a GET of 32 KiB blocks, the real Claude Code sessions', wait for a pool
 * hand-off and its return every 128 KiB: 18 ms per MiB against 1.6 from DRAM under load.) A block is written only
 * while the channel is writable: a slow reader parks the stream (see {@link Connection#whenWritable}) instead of
 * making the server buffer without bound (beyond the blocks read ahead).
 */
final class GetHandler implements OpHandler {

    @Override
    public int allowedFlags() {
        return 0;
    }

    @Override
    public void handle(Request r) {
        List<BlockKey> keys = Wire.readKeys(r.body(), r.sc.limits().maxKeysPerRequest(), "keys");
        long ns = r.session().namespaceId;
        if (r.sc.store().hasSharedTier()) { // a directory miss asks the shared tier: network I/O, off the event loop
            r.offload(() -> r.sc.store().lookup(ns, keys, 0), (hit, err) -> {
                if (err != null) {
                    r.fail(ErrorCode.INTERNAL, "lookup: " + err);
                } else {
                    stream(r, keys, ns, hit);
                }
            });
        } else {
            stream(r, keys, ns, r.sc.store().lookup(ns, keys, 0));
        }
    }

    private static void stream(Request r, List<BlockKey> keys, long ns, LookupResult hit) {
        if (hit.hitBlocks() < keys.size()) {
            r.sc.metrics().missed(ns);
        }
        new Stream(r, keys.subList(0, hit.hitBlocks()), hit.tiers(), ns).pump();
    }

    /** One GET in progress. Event-loop confined. */
    private static final class Stream {
        /**
         * Blocks outside memory read together: a run has this many blocks whatever their size, and more while it
         * stays within {@link #RUN_BYTES}. They are held until sent, so a GET whose client stops reading holds up to
         * one run besides what Netty has queued for the socket: the direct memory of a daemon's GETs is bounded by
         * connections x the larger of {@code RUN_BLOCKS} x the largest block and {@code RUN_BYTES}.
         */
        static final int RUN_BLOCKS = 4;
        /** Bytes of a run of blocks smaller than {@code RUN_BYTES / RUN_BLOCKS}. */
        static final long RUN_BYTES = 2 << 20;
        /** Blocks of a run at most, however small. */
        static final int MAX_RUN_BLOCKS = 64;

        private final Request r;
        private final List<BlockKey> keys;
        private final List<String> tiers;
        private final long ns;
        private final Channel ch;
        private int next;
        /** Blocks read from a lower tier and not yet sent, in order. */
        private final ArrayDeque<GetResult> readAhead = new ArrayDeque<>();

        Stream(Request r, List<BlockKey> keys, List<String> tiers, long ns) {
            this.r = r;
            this.keys = keys;
            this.tiers = tiers;
            this.ns = ns;
            this.ch = r.ctx().channel();
        }

        void pump() {
            try {
                while (next < keys.size()) {
                    if (!ch.isActive()) {
                        release();
                        r.finish();
                        return;
                    }
                    if (!ch.isWritable()) {
                        r.conn.whenWritable(this::pump);
                        return;
                    }
                    GetResult g = readAhead.poll();
                    if (g == null) {
                        // in memory at the lookup, and still there (not demoted since): read here, else on the pool
                        g = r.sc.inMemory(tiers.get(next))
                                ? r.sc.store().getIf(ns, keys.get(next), r.sc::inMemory) : GetResult.ELSEWHERE;
                        if (g.elsewhere()) {
                            readOutOfMemory();
                            return;
                        }
                    }
                    if (!deliver(g)) {
                        release();
                        end();
                        return;
                    }
                }
            } catch (RuntimeException e) {
                release();
                throw e;
            }
            end();
        }

        /**
         * Reads the next block on the blocking pool, together with the blocks after it that the lookup also found
         * outside memory ({@code TieredStore.getAll}: batched reads of the tier): {@link #RUN_BLOCKS} blocks, and
         * more while the run's bytes stay within {@link #RUN_BYTES} (the lengths the directory records: a block
         * gone since counts nothing and is a miss when read).
         */
        private void readOutOfMemory() {
            int to = next + 1;
            long bytes = Math.max(0, r.sc.store().cachedLength(ns, keys.get(next)));
            while (to < keys.size() && to - next < MAX_RUN_BLOCKS && !r.sc.inMemory(tiers.get(to))) {
                long len = Math.max(0, r.sc.store().cachedLength(ns, keys.get(to)));
                if (to - next >= RUN_BLOCKS && bytes + len > RUN_BYTES) {
                    break;
                }
                bytes += len;
                to++;
            }
            List<BlockKey> run = keys.subList(next, to);
            r.offload(() -> r.sc.store().getAll(ns, run), this::afterRead); // a run of one is a plain get
        }

        private void afterRead(List<GetResult> read, Throwable err) {
            if (err != null) {
                r.fail(ErrorCode.INTERNAL, "reading block " + next + ": " + err);
            } else {
                readAhead.addAll(read);
                pump();
            }
        }

        /** Closes the blocks read ahead and not sent (the stream ended early or the client went). */
        private void release() {
            for (GetResult g; (g = readAhead.poll()) != null; ) {
                if (g.isHit()) {
                    g.handle().close();
                }
            }
        }

        /** Writes one block frame; false on a miss (evicted or corrupt since the lookup). */
        private boolean deliver(GetResult g) {
            if (!g.isHit()) {
                r.sc.metrics().missed(ns);
                return false;
            }
            BlockHandle h = g.handle();
            if (!ch.isActive()) {
                h.close();
                return false;
            }
            BlockMeta m = h.meta();
            ByteBuf head = r.ctx().alloc().ioBuffer(FrameDescriptor.HEADER_BYTES + BlockDescriptor.BYTES);
            FrameEncoder.writeHeader(head, r.session().version, r.frame.opcodeCode(), 0, 0, r.frame.requestId(),
                    BlockDescriptor.BYTES + (long) m.length());
            Wire.writeBlockHeader(head, m);
            ByteBuf payload;
            try {
                payload = Unpooled.wrappedBuffer(h.payload());
            } catch (RuntimeException e) {
                head.release();
                h.close();
                throw e;
            }
            r.ctx().write(head);
            r.ctx().writeAndFlush(payload).addListener(f -> h.close());
            r.sc.metrics().served(g.tier(), ns, m.length());
            next++;
            return true;
        }

        private void end() {
            if (ch.isActive()) {
                r.write(FrameDescriptor.FLAG_END, r.ctx().alloc().buffer(4).writeInt(next));
            }
            r.finish();
        }
    }
}
