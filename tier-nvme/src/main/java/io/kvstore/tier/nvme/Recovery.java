package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.RootKeys;
import io.kvstore.core.tier.TierDropListener;
import io.kvstore.tier.nvme.MetaDescriptor.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;

/**
 * Opening an {@link NvmeTier}: what is on disk becomes the tier's index again.
 * <ol>
 *   <li>A directory without the current {@linkplain IndexStore#FORMAT format} record but with data (an earlier
 *       layout) is started cold: index and segments deleted, one warning.</li>
 *   <li>The index is loaded from RocksDB. A record pointing into a segment that no longer exists was reclaimed
 *       before the index learned it ({@code stale_at_open}); one pointing outside its segment is damaged
 *       ({@code corrupt_at_open}). Both are deleted.</li>
 *   <li>Without a WAL, the log's tail (segments from the last {@linkplain IndexStore.Checkpoint checkpoint} on) is
 *       scanned record by record: a record whose header and payload verify and whose key the index lacks is
 *       indexed again ({@code recovered_at_open}). Within a segment the scan hops from header to header by the
 *       recorded length, skips 4 KiB pages that were never written (a put in flight at the crash), skips a record
 *       whose payload does not verify ({@code torn_at_open}), and stops at the first page that is neither zero nor
 *       a valid header bound to this segment ({@link RecordDescriptor}, "Bound records"): it never looks for headers
 *       inside a payload, and past a recycled segment's last record it finds an earlier segment's records, which
 *       are not this segment's and are never indexed again. In a recycled file a put in flight at the crash left
 *       the earlier segment's bytes, not zeros, so the scan stops there and the records after it are not
 *       recovered.</li>
 *   <li>If the blocks found need more than the capacity (removes undone by the crash, a smaller capacity), the
 *       oldest blocks are dropped in log order, as many as needed; if the segments exceed the log's limit, the
 *       oldest segments are dropped as a reclaim would.</li>
 *   <li>A new checkpoint is flushed, so a second crash does not scan the same tail again.</li>
 * </ol>
 * Open time is the index load (RocksDB, about 100 bytes per block) plus the tail scan (at most about one segment
 * plus {@code writeBufferBytes} of records), not a function of the capacity.
 */
final class Recovery {

    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);
    /** Bytes read at each record boundary of the tail: the header, and the whole record if it is small. */
    private static final int FIRST_READ = 64 * 1024;

    /** What the last open found, for {@link NvmeTier#stats()}. */
    record Report(long corrupt, long stale, long recovered, long torn, long tailBytes, long millis,
                  boolean startedCold) {
        void stats(Map<String, Long> d) {
            d.put("corrupt_at_open", corrupt);
            d.put("stale_at_open", stale);
            d.put("recovered_at_open", recovered);
            d.put("torn_at_open", torn);
            d.put("tail_bytes_scanned_at_open", tailBytes);
            d.put("open_millis", millis);
            d.put("started_cold", startedCold ? 1L : 0L);
        }
    }

    private final NvmeTier tier;
    private final DoubleConsumer progress;
    private long corrupt;
    private long stale;
    private long recovered;
    private long torn;
    private long tailBytes;

    private Recovery(NvmeTier tier, DoubleConsumer progress) {
        this.tier = tier;
        this.progress = progress;
    }

    /** Opens {@code tier}'s files; {@code progress} hears how far loading the index is (0..1). */
    static Report open(NvmeTier tier, DoubleConsumer progress) throws IOException {
        return new Recovery(tier, progress).run();
    }

    private Report run() throws IOException {
        long t0 = System.nanoTime();
        IndexStore durable = tier.durableIndex;
        SegmentStore segments = tier.segments;
        boolean cold = false;
        boolean formatted = false;
        if (durable.format() != IndexStore.FORMAT) {
            if (!durable.isEmpty() || !segments.segments().isEmpty()) {
                LOG.warn("{}: {} holds an earlier on-disk layout (format {} expected); starting it cold, its blocks"
                        + " are discarded", tier.cfg.name(), tier.cfg.directory(), IndexStore.FORMAT);
                durable.clear();
                for (SegmentStore.Segment s : List.copyOf(segments.segments())) {
                    segments.retire(s);
                }
                cold = true;
            }
            durable.writeFormat();
            formatted = true; // flushed below: a crash must not leave segments without the format record
        }
        IndexStore.Checkpoint checkpoint = durable.checkpoint();
        segments.nextIdAtLeast(checkpoint.nextSegment());
        loadIndex();
        if (tier.cfg.walMode() == WalMode.DISABLED) {
            for (SegmentStore.Segment s : segments.inLogOrder()) {
                if (s.id >= checkpoint.tailFrom()) {
                    scan(s);
                }
            }
        }
        shareParentKeys();
        boolean trimmed = trimOldestBlocks();
        while (segments.totalBytes() > Reclaimer.limit(tier)) {
            SegmentStore.Segment oldest = segments.oldestReclaimable();
            if (oldest == null || segments.segments().size() == 1) {
                break;
            }
            new Reclaimer(tier).reclaim(oldest, TierDropListener.NONE);
            trimmed = true;
        }
        if (formatted || trimmed || corrupt + stale + recovered + torn > 0) {
            tier.flusher.flush();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (recovered + stale + corrupt + torn > 0 || trimmed) {
            LOG.info("{}: opened in {} ms: {} blocks, {} recovered from {} bytes of log tail, {} stale and {} damaged"
                            + " index records dropped, {} torn records skipped{}", tier.cfg.name(), ms,
                    tier.index.size(), recovered, tailBytes, stale, corrupt, torn,
                    trimmed ? ", oldest blocks dropped to fit the capacity" : "");
        }
        return new Report(corrupt, stale, recovered, torn, tailBytes, ms, cold);
    }

    /**
     * If the blocks found need more than the capacity (removes the crash undid, or a smaller capacity), drops the
     * oldest blocks in log order, as many as needed: the ones a FIFO store would evict next, and after a crash
     * mostly the undone removes themselves. Returns true if it dropped any.
     */
    private boolean trimOldestBlocks() {
        boolean any = false;
        for (SegmentStore.Segment s : tier.segments.inLogOrder()) {
            if (tier.used.get() <= tier.cfg.capacityBytes()) {
                break;
            }
            List<Entry> inSegment = tier.entriesIn(s.id);
            inSegment.sort(java.util.Comparator.comparingLong(Entry::offset));
            for (Entry e : inSegment) {
                if (tier.used.get() <= tier.cfg.capacityBytes()) {
                    break;
                }
                any |= tier.unindex(e.key(), e);
            }
        }
        return any;
    }

    private void loadIndex() throws IOException {
        IndexStore durable = tier.durableIndex;
        List<BlockKey> drop = new ArrayList<>();
        long estimate = Math.max(1, durable.estimatedRecords());
        long step = Math.max(1, estimate / 100);
        long[] seen = {0};
        durable.forEach((k, record) -> {
            if (seen[0] % step == 0) {
                progress.accept(Math.min(0.99, (double) seen[0] / estimate)); // an estimate: never 100% early
            }
            seen[0]++;
            Entry e = MetaDescriptor.decode(k, record);
            if (e != null && !tier.segments.exists(e.segment())) {
                stale++;
                drop.add(k);
            } else if (e == null || !tier.segments.contains(e.location())) {
                corrupt++;
                drop.add(k);
            } else if (tier.index.put(e) == null) {
                index(e);
            }
        });
        progress.accept(1);
        for (BlockKey k : drop) {
            durable.delete(k);
        }
        if (corrupt > 0) {
            LOG.warn("{}: dropped {} damaged index records at open", tier.cfg.name(), corrupt);
        }
    }

    /**
     * Gives each loaded block's metadata its parent's own key object when the parent is on this tier, and the
     * namespace's one root object ({@link RootKeys}) to the blocks that start a chain, as the store does for blocks
     * put while it runs (the parent key a client sends is a copy). Each record decodes its parent key anew: without
     * this pass a reopened tier held two key objects per block, 48 bytes of heap each (2,152,974 {@code BlockKey}s
     * for 1,059,182 blocks after a restart). Runs before any other thread sees the tier; replacing a present key's
     * entry does not change the index's layout, so the walk sees every entry once.
     */
    private void shareParentKeys() {
        RootKeys roots = new RootKeys();
        tier.index.forEach(e -> {
            Entry parent = tier.index.get(e.parent());
            BlockKey shared = parent != null ? parent.key()
                    : e.position() == 0 ? roots.intern(e.namespaceId(), e.parent()) : null;
            if (shared != null && shared != e.parent() && shared.equals(e.parent())) {
                tier.index.put(e.withParent(shared));
            }
        });
    }

    private void index(Entry e) {
        tier.used.addAndGet(NvmeTier.footprintOf(e.payloadLength()));
        tier.segments.addLive(e.location(), false);
    }

    /** Indexes the records of {@code s} the index lacks (see the class comment for where the scan stops). */
    private void scan(SegmentStore.Segment s) throws IOException {
        long size = s.size();
        ByteBuffer chunk = tier.pool.acquire(FIRST_READ);
        try {
            long p = 0;
            while (p + SegmentStore.ALIGN <= size) {
                int n = (int) Math.min(FIRST_READ, (size - p) / SegmentStore.ALIGN * SegmentStore.ALIGN);
                if (!tier.segments.read(new SegmentStore.Location(s.id, p, n), chunk)) {
                    break;
                }
                ByteBuffer page = chunk.duplicate().position(0).limit(SegmentStore.ALIGN);
                if (zero(page)) {
                    p += SegmentStore.ALIGN;
                    continue;
                }
                RecordDescriptor.Header h = RecordDescriptor.header(page, s.id, true);
                if (h == null) {
                    LOG.info("{}: the tail scan of segment {} ends at offset {} (past it: bytes never written in"
                            + " this segment, or damaged)", tier.cfg.name(), s.path.getFileName(), p);
                    break;
                }
                SegmentStore.Location loc = new SegmentStore.Location(s.id, p, h.recordLength());
                tailBytes += loc.padded();
                if (p + loc.padded() > size) {
                    torn++;
                    break;
                }
                p += loc.padded();
                BlockMeta meta = h.meta();
                if (tier.index.containsKey(meta.key())) {
                    continue; // the indexed copy wins (the same bytes: keys name content)
                }
                if (!verifies(loc, meta, chunk, n)) {
                    torn++;
                    continue;
                }
                Entry e = new Entry(meta, loc);
                tier.durableIndex.put(meta.key(), MetaDescriptor.encode(meta, loc));
                tier.index.put(e);
                index(e);
                recovered++;
            }
        } finally {
            tier.pool.release(chunk);
        }
    }

    /**
     * True if the record at {@code loc} verifies. A record within the first {@code read} bytes already in
     * {@code chunk} is checked there; a longer one is read whole.
     */
    private boolean verifies(SegmentStore.Location loc, BlockMeta meta, ByteBuffer chunk, int read)
            throws IOException {
        if (loc.length() <= read) {
            ByteBuffer inChunk = chunk.duplicate().position(0).limit(loc.length());
            return RecordDescriptor.decode(inChunk, meta, loc.segment()) != null;
        }
        ByteBuffer rec = tier.pool.acquire(loc.padded());
        try {
            return tier.segments.read(loc, rec) && RecordDescriptor.decode(rec, meta, loc.segment()) != null;
        } finally {
            tier.pool.release(rec);
        }
    }

    private static boolean zero(ByteBuffer page) {
        for (int i = 0; i < page.limit(); i += Long.BYTES) {
            if (page.getLong(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
