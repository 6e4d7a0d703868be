package io.kvstore.tier.nvme;

import com.sun.nio.file.ExtendedOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The payload store of an {@link NvmeTier}: append-only segment files ({@code segments/<id>.seg}, ids never
 * reused) that hold block records ({@link RecordDescriptor}: checksummed header and payload), each at a 4 KiB
 * aligned offset and padded to a 4 KiB multiple, so that with O_DIRECT a record is one aligned {@code pwrite} on
 * put and one aligned {@code pread} on read. The {@link IndexStore} holds only the index (key to metadata and {@link Location}).
 *
 * <h2>Design note</h2>
 * Appends go to the one active segment: the offset is reserved under a lock, and the write is handed to the store's
 * {@link SegmentWriter}, one thread that issues the records back to back, contiguous ones in one gathering write
 * (the filesystem serializes direct writes that extend a file anyway). When a record does not fit, the active segment is sealed (fdatasync) and
 * a new one opened; a record larger than the segment size gets a segment of its own. Segments are never written
 * again once sealed, and at open every existing segment is sealed. Ids grow with creation, so the segments in id
 * order are the log, oldest first. Space comes back by whole segments, oldest first ({@link #oldestReclaimable},
 * {@link #retire}); what happens to the records still in a segment is the tier's decision ({@code Reclaimer}).
 *
 * <p><b>Recycled files.</b> A retired segment's file is not deleted but renamed {@code <id>.free} and kept (at most
 * {@link #MAX_FREE_FILES}), and the next new segment is that file renamed again, written over from its start. On
 * ext4 a write over blocks a file already holds is a plain overwrite, where appending to a new file allocates
 * extents and deleting an old one frees them, both through the journal: 16 MiB segments of 2 MiB records went
 * from about 1.9 to 3.1 GB/s when recycled instead of created and deleted (docs/tiers.md). What lies past a
 * recycled segment's last record is an earlier segment's records; every record is bound to the id of the segment
 * it was written to ({@link RecordDescriptor#bind}, done by {@link #append}), so they are never taken for this
 * segment's. A reader of a retired segment either finished before its channel closed (closing waits for reads in
 * progress) or fails and looks its key up again; the file is renamed only after that.
 * The store tracks live bytes per segment ({@link #addLive}) for that; which records are live is the index's to say
 * ({@code NvmeTier#entriesIn}). Whatever is torn or damaged fails
 * the record's CRC32C checks on read and is never served.
 *
 * <p>Thread-safe. Buffers passed in must be direct and 4 KiB aligned ({@link BufferPool} buffers are) with
 * capacity for the padded length.
 */
final class SegmentStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentStore.class);
    /** Record alignment and padding unit (the O_DIRECT block size on common filesystems). */
    static final int ALIGN = 4096;
    static final String SUFFIX = ".seg";
    static final String FREE_SUFFIX = ".free";
    /** Retired segment files kept for reuse; more are deleted. */
    static final int MAX_FREE_FILES = 2;
    /** Consecutive zero-byte transfers after which a read or write gives up instead of spinning. */
    private static final int MAX_STALLS = 8;

    /** Where a record is: segment id, byte offset, record length (header + stored payload, unpadded). */
    record Location(long segment, long offset, int length) {
        int padded() {
            return padded(length);
        }

        static int padded(int length) {
            return (int) (((long) length + ALIGN - 1) / ALIGN * ALIGN);
        }
    }

    /** One segment file. */
    static final class Segment {
        final long id;
        final Path path;
        /** Reopened if closed under a reader (an interrupted thread closes a FileChannel for everyone). */
        volatile FileChannel channel;
        /** Bytes reserved by appends (the file's logical end). */
        long end;
        volatile boolean sealed;
        /** True once the directory entry of the new file has been made durable. */
        volatile boolean dirSynced;
        /** Padded bytes of the records the index points at. */
        final AtomicLong live = new AtomicLong();
        /** Appends reserved but not yet registered live (or abandoned). */
        final AtomicInteger writers = new AtomicInteger();
        /** Padded bytes of this segment's records that reads reinserted before its reclaim (Reclaimer#readHit). */
        final AtomicLong reinsertedEarly = new AtomicLong();

        Segment(long id, Path path, FileChannel channel, long end) {
            this.id = id;
            this.path = path;
            this.channel = channel;
            this.end = end;
        }

        long size() {
            synchronized (this) {
                return end;
            }
        }
    }

    private final Path dir;
    private final boolean direct;
    private final long segmentBytes;
    private final Map<Long, Segment> segments = new ConcurrentHashMap<>();
    private final Object appendLock = new Object();
    private Segment active; // guarded by appendLock
    /** Sum of segment sizes, and of live bytes: garbage is the difference. */
    private final AtomicLong totalBytes = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private long nextId; // guarded by appendLock
    /** Issues every record write, back to back and several contiguous records at a time. */
    private final SegmentWriter writer;
    /** Retired segment files waiting to become new segments, oldest first (guarded by itself). */
    private final ArrayDeque<Path> free = new ArrayDeque<>();
    private final AtomicLong recycled = new AtomicLong();

    SegmentStore(Path dir, boolean direct, long segmentBytes) throws IOException {
        this.dir = dir;
        this.direct = direct;
        this.segmentBytes = segmentBytes;
        Files.createDirectories(dir);
        long max = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (n.endsWith(FREE_SUFFIX)) {
                    if (Files.size(p) <= segmentBytes) {
                        keepFree(p);
                    } else {
                        Files.deleteIfExists(p); // of larger segments (the capacity was lowered): its room stays unused
                    }
                    continue;
                }
                if (!n.endsWith(SUFFIX)) {
                    continue;
                }
                long id;
                try {
                    id = Long.parseLong(n.substring(0, n.length() - SUFFIX.length()), 16);
                } catch (NumberFormatException e) {
                    continue;
                }
                Segment seg = new Segment(id, p, open(p, false), Files.size(p));
                seg.sealed = true; // never appended to after a restart
                seg.dirSynced = true;
                segments.put(id, seg);
                totalBytes.addAndGet(seg.end);
                max = Math.max(max, id);
            }
        }
        this.nextId = max + 1;
        this.writer = new SegmentWriter("kvstore-nvme-writer", this::writeRun);
    }

    /** An I/O step on a segment's channel. */
    private interface ChannelIo {
        void run(FileChannel ch) throws IOException;
    }

    /**
     * Runs {@code op} on the segment's channel; if the channel was closed by another thread's interrupt (not by a
     * delete, not this thread's), reopens it and runs {@code op} once more.
     */
    private void withChannel(Segment s, ChannelIo op) throws IOException {
        FileChannel ch = s.channel;
        try {
            op.run(ch);
        } catch (ClosedChannelException e) {
            if (e instanceof ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
                throw e;
            }
            synchronized (s) {
                if (segments.get(s.id) != s) {
                    throw e; // deleted
                }
                if (s.channel == ch) {
                    s.channel = open(s.path, false);
                    LOG.warn("reopened {} (closed by an interrupted thread)", s.path);
                }
            }
            op.run(s.channel);
        }
    }

    private FileChannel open(Path p, boolean create) throws IOException {
        List<OpenOption> o = new ArrayList<>(List.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
        if (create) {
            o.add(StandardOpenOption.CREATE_NEW);
        }
        if (direct) {
            o.add(ExtendedOpenOption.DIRECT);
        }
        return FileChannel.open(p, o.toArray(new OpenOption[0]));
    }

    /**
     * Appends a record to the active segment (sealing it and opening a new one if the record does not fit) and
     * returns where it is once it is written, counted as an append in flight there: the caller finally calls
     * {@link #addLive} or {@link #abandon} exactly once. The record is given as one buffer ({@code parts.length ==
     * 1}: position 0, limit the record's length, capacity for the padded length; padded here with zeros) or as
     * aligned parts (each position 0 to limit, in 4 KiB-aligned direct memory, a multiple of 4 KiB long, together
     * the padded length); the header is at the start of the first, and is bound to the segment here
     * ({@link RecordDescriptor#bind}). If the write fails, the append is abandoned here and the failure thrown.
     *
     * <p>The offset is reserved and the write queued under one lock, so the writer sees a segment's records in
     * offset order and a crash leaves a written prefix of them: in a recycled file a record never written holds an
     * earlier segment's bytes, where the tail scan at open stops ({@code Recovery}), so an acknowledged record
     * must not lie past one that was not written.
     */
    Location append(int length, ByteBuffer... parts) throws IOException {
        int padded = Location.padded(length);
        if (parts.length == 1) {
            ByteBuffer b = parts[0].duplicate().clear().limit(padded);
            for (int i = length; i < padded; i++) {
                b.put(i, (byte) 0);
            }
            parts = new ByteBuffer[] {b};
        } else {
            long bytes = 0;
            for (ByteBuffer b : parts) {
                bytes += b.remaining();
            }
            if (bytes != padded) {
                throw new IllegalArgumentException("parts of " + bytes + " bytes for a record of " + padded);
            }
        }
        Segment sealedNow = null;
        Location loc;
        CompletableFuture<Void> written;
        synchronized (appendLock) {
            if (active != null && active.size() > 0 && active.size() + padded > segmentBytes) {
                sealedNow = active;
                active = null;
            }
            if (active == null) {
                long id = nextId++;
                Path p = file(id, SUFFIX);
                active = new Segment(id, p, recycleOrCreate(p), 0);
                segments.put(id, active);
            }
            synchronized (active) {
                loc = new Location(active.id, active.end, length);
                active.end += padded;
            }
            totalBytes.addAndGet(padded);
            active.writers.incrementAndGet();
            RecordDescriptor.bind(parts[0], loc.segment());
            written = writer.submit(loc.segment(), loc.offset(), parts); // writeRun fails it if the segment is gone
        }
        if (sealedNow != null) {
            seal(sealedNow);
        }
        try {
            SegmentWriter.await(written);
        } catch (IOException | RuntimeException e) {
            abandon(loc);
            throw e;
        }
        return loc;
    }

    /** The file of segment {@code id}: {@code <16 hex digits><suffix>} (a segment's, or a free file's). */
    private Path file(long id, String suffix) {
        return dir.resolve(String.format("%016x%s", id, suffix));
    }

    /** Opens a new segment file at {@code p}: a free file renamed, or else a new file. */
    private FileChannel recycleOrCreate(Path p) throws IOException {
        Path f;
        synchronized (free) {
            f = free.poll();
        }
        if (f != null) {
            try {
                Files.move(f, p, StandardCopyOption.ATOMIC_MOVE);
                FileChannel ch = open(p, false);
                recycled.incrementAndGet();
                return ch;
            } catch (IOException e) {
                LOG.warn("reusing {} as {} failed ({}); creating a new file", f, p.getFileName(), e.toString());
                Files.deleteIfExists(f);
                Files.deleteIfExists(p);
            }
        }
        return open(p, true);
    }

    /** Keeps {@code f}, a retired segment's file, for a later segment, or deletes it if enough are kept. */
    private void keepFree(Path f) throws IOException {
        synchronized (free) {
            if (free.size() < MAX_FREE_FILES) {
                free.add(f);
                return;
            }
        }
        Files.deleteIfExists(f);
    }

    private void seal(Segment s) {
        try {
            sync(s); // durable before anything depends on the sealed bytes
        } catch (IOException e) {
            LOG.warn("fdatasync of {} failed: {}", s.path, e.toString());
        }
        s.sealed = true;
    }

    /** fdatasync of a segment, and once per segment an fsync of the directory that holds its name. */
    private void sync(Segment s) throws IOException {
        withChannel(s, ch -> ch.force(false));
        if (!s.dirSynced) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
            s.dirSynced = true;
        }
    }

    /** The writer's figures ({@link SegmentWriter#stats}). */
    void writerStats(Map<String, Long> d) {
        writer.stats(d);
    }

    /** Writes a run of padded records back to back (the {@link SegmentWriter}'s thread only). */
    private void writeRun(long segment, long offset, ByteBuffer[] run) throws IOException {
        Segment s = segment(segment);
        long total = 0;
        for (ByteBuffer b : run) {
            total += b.limit();
        }
        long bytes = total;
        withChannel(s, ch -> {
            for (ByteBuffer b : run) {
                b.position(0);
            }
            long done = 0;
            int stalls = 0;
            int first = 0;
            while (done < bytes) {
                while (!run[first].hasRemaining()) {
                    first++;
                }
                ch.position(offset + done); // only this thread moves the position; reads are positional
                long n = ch.write(run, first, run.length - first);
                stalls = n == 0 ? stalls + 1 : 0;
                if (stalls > MAX_STALLS) {
                    throw new IOException("write of " + s.path + " at " + (offset + done) + " makes no progress");
                }
                done += n;
            }
        });
    }

    /** Registers the record at {@code loc} as live (its index entry exists). */
    void addLive(Location loc, boolean wasAppend) {
        Segment s = segments.get(loc.segment());
        if (s == null) {
            return;
        }
        s.live.addAndGet(loc.padded());
        liveBytes.addAndGet(loc.padded());
        if (wasAppend) {
            s.writers.decrementAndGet();
        }
    }

    /** Ends an append that will not be indexed (its bytes are garbage). */
    void abandon(Location loc) {
        Segment s = segments.get(loc.segment());
        if (s != null) {
            s.writers.decrementAndGet();
        }
    }

    /** An index entry no longer points at {@code loc}. */
    void removeLive(Location loc) {
        Segment s = segments.get(loc.segment());
        if (s != null) {
            s.live.addAndGet(-loc.padded());
            liveBytes.addAndGet(-loc.padded());
        }
    }

    /**
     * Reads the record at {@code loc} into {@code dst} (position 0, limit the record length on return). Returns
     * false if the segment is gone or the file ends before the record (never-written or truncated bytes).
     */
    boolean read(Location loc, ByteBuffer dst) throws IOException {
        Segment s = segments.get(loc.segment());
        if (s == null) {
            return false;
        }
        int padded = loc.padded();
        boolean[] whole = {true};
        withChannel(s, ch -> {
            ByteBuffer b = dst.clear().limit(padded);
            long pos = loc.offset();
            int stalls = 0;
            while (b.hasRemaining()) {
                int n = ch.read(b, pos);
                stalls = n == 0 ? stalls + 1 : 0;
                if (n < 0 || stalls > MAX_STALLS) { // end of file, or a channel that returns 0 forever
                    whole[0] = false;
                    return;
                }
                pos += n;
            }
        });
        dst.position(0).limit(whole[0] ? loc.length() : 0);
        return whole[0];
    }

    /** True if {@code loc} lies within an existing segment's bytes. */
    boolean contains(Location loc) {
        Segment s = segments.get(loc.segment());
        return s != null && loc.offset() >= 0 && loc.offset() % ALIGN == 0
                && loc.offset() + loc.padded() <= s.size();
    }

    Segment segment(long id) throws IOException {
        Segment s = segments.get(id);
        if (s == null) {
            throw new IOException("segment " + id + " is gone");
        }
        return s;
    }

    /** True if segment {@code id} exists. */
    boolean exists(long id) {
        return segments.containsKey(id);
    }

    Collection<Segment> segments() {
        return segments.values();
    }

    /** Seals the active segment (fdatasync); the next append opens a new one. */
    void sealActive() {
        Segment s;
        synchronized (appendLock) {
            s = active;
            active = null;
        }
        if (s != null) {
            seal(s);
        }
    }

    /** Segments in log order (ascending id, oldest first). */
    List<Segment> inLogOrder() {
        List<Segment> out = new ArrayList<>(segments.values());
        out.sort(java.util.Comparator.comparingLong(x -> x.id));
        return out;
    }

    /** The segment {@code id} if it is in the log, else null. Opens nothing. */
    Segment find(long id) {
        return segments.get(id);
    }

    /** The id of the oldest segment in the log, or -1 if there is none. */
    long oldestId() {
        long oldest = -1;
        for (long id : segments.keySet()) {
            if (oldest < 0 || id < oldest) {
                oldest = id;
            }
        }
        return oldest;
    }

    /** The oldest segment, if it is sealed and no append is in flight there; else null. */
    Segment oldestReclaimable() {
        Segment oldest = null;
        for (Segment x : segments.values()) {
            if (oldest == null || x.id < oldest.id) {
                oldest = x;
            }
        }
        synchronized (appendLock) {
            return oldest == null || oldest == active || !oldest.sealed || oldest.writers.get() > 0 ? null : oldest;
        }
    }

    /**
     * The lowest segment id that may hold a record whose index entry is not yet in the index (appends in flight,
     * or the active segment); every segment below it is sealed with all its appends indexed. With no such segment,
     * the next id to be used.
     */
    long tailFrom() {
        synchronized (appendLock) {
            long from = active != null ? active.id : nextId;
            for (Segment x : segments.values()) {
                if (x.writers.get() > 0 || !x.sealed) {
                    from = Math.min(from, x.id);
                }
            }
            return from;
        }
    }

    /** The id the next new segment gets. */
    long nextId() {
        synchronized (appendLock) {
            return nextId;
        }
    }

    /** Raises the next segment id to at least {@code floor} (ids are never reused, even after every delete). */
    void nextIdAtLeast(long floor) {
        synchronized (appendLock) {
            nextId = Math.max(nextId, floor);
        }
    }

    /** fdatasync of the active segment (for flush and sync puts). */
    void force() throws IOException {
        Segment s;
        synchronized (appendLock) {
            s = active;
        }
        if (s != null) {
            sync(s);
        }
    }

    /** fdatasync of the segment holding {@code loc} (a put with {@link WalMode#SYNC}). */
    void force(Location loc) throws IOException {
        sync(segment(loc.segment()));
    }

    /**
     * Gives a segment's space back: its file is kept for a later segment (renamed {@code <id>.free}, see "Recycled
     * files") or, past {@link #MAX_FREE_FILES} or if the file is larger than a segment (a record larger than a
     * segment, or a segment size lowered since), deleted. The caller
     * has taken its records out of the index first; a reader still holding an old location then reads nothing
     * ({@link #read} answers false, or its read finished before the channel closed) and looks the key up again.
     */
    void retire(Segment s) {
        synchronized (s) {
            if (segments.remove(s.id) == null) {
                return;
            }
        }
        totalBytes.addAndGet(-s.size());
        liveBytes.addAndGet(-s.live.get());
        try {
            s.channel.close(); // waits for reads in progress on it
            if (Files.size(s.path) <= segmentBytes) { // the file, not the records: a recycled file may be larger
                Path f = file(s.id, FREE_SUFFIX);
                Files.move(s.path, f, StandardCopyOption.ATOMIC_MOVE);
                keepFree(f);
            } else {
                Files.deleteIfExists(s.path);
            }
        } catch (IOException e) {
            LOG.warn("retiring {} failed: {}", s.path, e.toString());
        }
    }

    /** Segment files created from retired ones so far ({@code recycled_segments}). */
    long recycledSegments() {
        return recycled.get();
    }

    /** Retired segment files kept for reuse now ({@code free_segment_files}). */
    int freeFiles() {
        synchronized (free) {
            return free.size();
        }
    }

    /** The size at which the active segment is sealed. */
    long segmentBytes() {
        return segmentBytes;
    }

    long totalBytes() {
        return totalBytes.get();
    }

    /** Segment bytes no index entry points at: removed blocks, appends in flight or lost in a crash, padding. */
    long garbageBytes() {
        return Math.max(0, totalBytes.get() - liveBytes.get());
    }

    @Override
    public void close() {
        writer.close();
        sealActive();
        for (Segment s : segments.values()) {
            try {
                s.channel.close();
            } catch (IOException e) {
                LOG.warn("closing {}: {}", s.path, e.toString());
            }
        }
        segments.clear();
    }
}
