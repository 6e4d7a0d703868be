package io.kvstore.tier.dram;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Off-heap memory carved into fixed-size pages, with a reference count per allocated run.
 *
 * <h2>Runs and references</h2>
 * A block's payload occupies one run of contiguous pages, so a view of it is one {@code ByteBuffer} slice. Per
 * first page of a run the arena keeps: its reference count (1 for the index's reference plus one per open
 * reader handle; 0 means free), the allocation id of its current owner, and the run length with two flags
 * (verified, retired). The run goes back to the {@link PageAllocator} only when the count drops to 0, so a
 * removed block's bytes stay intact until its last reader lets go. A reader found the run through an index
 * record that may be stale, so {@link #tryRetain} takes a reference only if the count is positive and then
 * checks that the run still belongs to that record's allocation id (the owner is written before the count, so a
 * reader that sees the new count also sees the new owner); otherwise it lets go and reports a miss.
 *
 * <h2>Memory lifetime</h2>
 * {@link #pin()} keeps the memory itself alive: the open arena holds one pin, every in-flight operation and
 * every open handle one more; {@link #close()} drops the arena's pin and the memory is released (direct
 * buffers freed, files unmapped) when the last pin goes, never under a reader.
 *
 * <p>Thread-safety: all methods may be called concurrently.
 */
final class PageArena implements AutoCloseable {

    /** The alignment of every segment's start: what the NVMe tier's O_DIRECT writes need to use a block in place. */
    static final int IO_ALIGN = 4096;

    private static final int PAGES_MASK = (1 << 24) - 1;
    private static final int VERIFIED = 1 << 30;
    private static final int RETIRED = 1 << 29;
    /** Bytes between two reads of {@link #mapPagesInBackground}: the smallest page the kernel maps. */
    private static final int OS_PAGE = 4096;

    private final int pageSize;
    private final int pageShift;
    private final int pagesPerSegment;
    private final ByteBuffer[] segments;
    /** The buffers that own the segments' memory, freed at the end ({@link #release} frees no slice). */
    private final ByteBuffer[] owners;
    private final PageAllocator allocator;
    private final AtomicIntegerArray refs;
    private final AtomicLongArray owner;
    private final AtomicIntegerArray runInfo;
    private final AtomicLong retiredPages = new AtomicLong();
    private final AtomicLong pins = new AtomicLong(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Read by nothing; keeps the JIT from dropping the reads of {@link #mapPagesInBackground}. */
    @SuppressWarnings("unused")
    private volatile int touched;
    /** True while {@link #mapPagesInBackground} holds its pin. */
    private volatile boolean mapping;
    /** Counted down when {@link #mapPagesInBackground} is done (or was never started). */
    private final CountDownLatch pagesMapped = new CountDownLatch(1);

    private PageArena(DramTierConfig config, ByteBuffer[] segments, ByteBuffer[] owners) {
        this.pageSize = config.pageSizeBytes();
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.pagesPerSegment = config.pagesPerSegment();
        this.segments = segments;
        this.owners = owners;
        int pages = config.pageCount();
        this.allocator = new PageAllocator(pages, pagesPerSegment);
        this.refs = new AtomicIntegerArray(pages);
        this.owner = new AtomicLongArray(pages);
        this.runInfo = new AtomicIntegerArray(pages);
    }

    /**
     * An arena in anonymous direct memory, each segment starting on a 4 KiB boundary as a mapped segment does: the
     * NVMe tier writes a block from where it is only if it starts on one (O_DIRECT), and copies it first otherwise.
     * The JDK aligns a direct buffer to 8 bytes only; unaligned, every demotion out of a private-memory arena was
     * copied (a fifth of the daemon's CPU in a PUT of 2 MiB blocks into full tiers, docs/tiers.md).
     */
    static PageArena anonymous(DramTierConfig config) {
        ByteBuffer[] segs = new ByteBuffer[config.segmentCount()];
        ByteBuffer[] owners = new ByteBuffer[segs.length];
        for (int i = 0; i < segs.length; i++) {
            int length = segmentLength(config, i);
            owners[i] = ByteBuffer.allocateDirect(length + IO_ALIGN);
            segs[i] = owners[i].alignedSlice(IO_ALIGN).limit(length).slice();
        }
        PageArena arena = new PageArena(config, segs, owners);
        arena.pagesMapped.countDown(); // zeroed by the JDK when allocated: every page is touched already
        return arena;
    }

    /** An arena in memory-mapped files {@code segment-NNN.arena} under {@code dir}, created or reopened. */
    static PageArena mapped(DramTierConfig config, Path dir) throws IOException {
        ByteBuffer[] segs = new ByteBuffer[config.segmentCount()];
        try {
            for (int i = 0; i < segs.length; i++) {
                int len = segmentLength(config, i);
                Path file = segmentFile(dir, i);
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    restrict(file);
                    if (ch.size() != len) {
                        ch.truncate(0); // a resized segment holds nothing we could trust
                        allocate(ch, len);
                    }
                    segs[i] = ch.map(FileChannel.MapMode.READ_WRITE, 0, len);
                }
            }
        } catch (IOException | RuntimeException e) {
            for (ByteBuffer b : segs) {
                if (b != null) {
                    release(b);
                }
            }
            throw e;
        }
        PageArena arena = new PageArena(config, segs, segs);
        arena.mapPagesInBackground();
        return arena;
    }

    /**
     * Enters every page of a file-backed arena into this process's page tables, on a thread of its own. The files'
     * memory exists from the start ({@link #allocate}), but a mapping's page is entered only when first touched, one
     * minor fault per 4 KiB; without this a PUT into a fresh arena takes those faults inside the socket's receive
     * copy (15% of the daemon's CPU in an lm:// PUT of new 4 MiB chunks; docs/tiers.md, "The arena in /dev/shm"). Reads one
     * byte per page (a read fault on a shared memory-file mapping enters a writable entry, so the first write does
     * not fault again); holds a pin meanwhile and stops early when the arena closes.
     */
    private void mapPagesInBackground() {
        if (!pin()) {
            pagesMapped.countDown();
            return;
        }
        mapping = true;
        Thread t = new Thread(() -> {
            int sum = 0;
            try {
                for (ByteBuffer seg : segments) {
                    for (int i = 0; i < seg.capacity() && !closed.get(); i += OS_PAGE) {
                        sum += seg.get(i);
                    }
                }
                touched = sum;
            } finally {
                mapping = false;
                unpin();
                pagesMapped.countDown();
            }
        }, "dram-arena-map");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /**
     * Writes {@code len} zero bytes: the file system gives the segment all its memory now, so a full tmpfs fails
     * here with an {@code IOException} ("No space left on device") instead of with SIGBUS on a later write through
     * the mapping. Same cost as the anonymous arena, whose direct buffers are zeroed when allocated.
     */
    private static void allocate(FileChannel ch, int len) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(Math.min(len, 1 << 20));
        try {
            long pos = 0;
            while (pos < len) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), len - pos));
                while (zeros.hasRemaining()) {
                    pos += ch.write(zeros, pos);
                }
            }
        } finally {
            release(zeros);
        }
    }

    /** Owner read-write only (where the file system has POSIX modes): the files are the arena's memory. */
    static void restrict(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its own access rules apply
        }
    }

    /**
     * Where a view returned by {@link #view} lies: {@code segment << 40 | offset}, or -1 if {@code view} is not
     * a view of this arena (or the address cannot be read on this JVM).
     */
    long locate(ByteBuffer view) {
        long a = address(view);
        if (a == 0) {
            return -1;
        }
        for (int i = 0; i < segments.length; i++) {
            long base = address(segments[i]);
            if (base != 0 && a >= base && a + view.capacity() <= base + segments[i].capacity()) {
                return ((long) i << 40) | (a - base);
            }
        }
        return -1;
    }

    /** Waits up to {@code millis} for a file-backed arena's pages to be mapped; true if they are (tests). */
    boolean awaitPagesMapped(long millis) throws InterruptedException {
        return pagesMapped.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Number of segments. */
    int segmentCount() {
        return segments.length;
    }

    static Path segmentFile(Path dir, int index) {
        return dir.resolve(String.format("segment-%03d.arena", index));
    }

    private static int segmentLength(DramTierConfig config, int index) {
        int pages = Math.min(config.pagesPerSegment(), config.pageCount() - index * config.pagesPerSegment());
        return pages * config.pageSizeBytes();
    }

    int pageSize() {
        return pageSize;
    }

    int pagesFor(int length) {
        return Math.max(1, (int) (((long) length + pageSize - 1) >>> pageShift));
    }

    int totalPages() {
        return allocator.totalPages();
    }

    int pagesPerSegment() {
        return pagesPerSegment;
    }

    int freePages() {
        return allocator.freePages();
    }

    int largestFreeRun() {
        return allocator.largestFreeRun();
    }

    int freeRuns() {
        return allocator.freeRuns();
    }

    long retiredPages() {
        return retiredPages.get();
    }

    // ------------------------------------------------------------------------------------------------ runs

    /** Allocates a run for allocation {@code id}, holding one reference; returns its first page or -1. */
    int allocate(int pages, long id) {
        int first = allocator.allocate(pages);
        if (first >= 0) {
            own(first, pages, id, VERIFIED);
        }
        return first;
    }

    /** Re-takes a run found in the index at a warm restart; false if its pages are taken or out of range. */
    boolean claim(int first, int pages, long id) {
        if (first < 0 || pages > pagesPerSegment || (long) first + pages > totalPages()
                || !allocator.claim(first, pages)) {
            return false;
        }
        own(first, pages, id, 0);
        return true;
    }

    private void own(int first, int pages, long id, int flags) {
        owner.set(first, id);
        runInfo.set(first, pages | flags);
        refs.set(first, 1); // last: publishes owner and runInfo to readers that see the count
    }

    /** Takes a reader's reference to the run of allocation {@code id} at {@code first}, if it still exists. */
    boolean tryRetain(int first, long id) {
        int r;
        do {
            r = refs.get(first);
            if (r <= 0) {
                return false;
            }
        } while (!refs.compareAndSet(first, r, r + 1));
        if (owner.get(first) != id) {
            release(first);
            return false;
        }
        return true;
    }

    /**
     * Drops the index's reference of a removed block; readers may still hold the run, which then counts as
     * retired until they let go.
     */
    void retire(int first) {
        int info;
        do { // flag before the release, so whoever frees the run sees it
            info = runInfo.get(first);
        } while (!runInfo.compareAndSet(first, info, info | RETIRED));
        retiredPages.addAndGet(info & PAGES_MASK);
        release(first);
    }

    /** Drops one reference; the last one returns the run to the allocator. */
    void release(int first) {
        int left = refs.decrementAndGet(first);
        if (left == 0) {
            int info = runInfo.get(first);
            if ((info & RETIRED) != 0) {
                retiredPages.addAndGet(-(info & PAGES_MASK));
            }
            allocator.free(first, info & PAGES_MASK);
        } else if (left < 0) {
            throw new IllegalStateException("page run " + first + " released more often than retained");
        }
    }

    boolean isVerified(int first) {
        return (runInfo.get(first) & VERIFIED) != 0;
    }

    void markVerified(int first) {
        int info;
        do {
            info = runInfo.get(first);
        } while ((info & VERIFIED) == 0 && !runInfo.compareAndSet(first, info, info | VERIFIED));
    }

    // ---------------------------------------------------------------------------------------------- bytes

    /** Copies {@code src} (position to limit; its position is not changed) to the start of a run. */
    void write(int first, ByteBuffer src) {
        segments[first / pagesPerSegment].put(offsetOf(first), src, src.position(), src.remaining());
    }

    /** A view of {@code length} bytes at the start of a run; shares the arena's memory. */
    ByteBuffer view(int first, int length) {
        return segments[first / pagesPerSegment].slice(offsetOf(first), length);
    }

    private int offsetOf(int first) {
        return (first % pagesPerSegment) << pageShift;
    }

    // -------------------------------------------------------------------------------------------- lifetime

    /** Keeps the memory alive until {@link #unpin()}; false once the arena is closed. */
    boolean pin() {
        long p;
        do {
            p = pins.get();
            if (p <= 0 || closed.get()) {
                return false;
            }
        } while (!pins.compareAndSet(p, p + 1));
        return true;
    }

    void unpin() {
        long left = pins.decrementAndGet();
        if (left == 0) {
            for (ByteBuffer b : owners) {
                release(b);
            }
        } else if (left < 0) {
            throw new IllegalStateException("arena unpinned more often than pinned");
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Drops the arena's own pin; the memory goes when the last handle over it is closed. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            unpin();
        }
    }

    /** Pins held by in-flight operations and open handles (0 when closed and idle; the page mapping's not counted). */
    long outstandingPins() {
        return pins.get() - (closed.get() ? 0 : 1) - (mapping ? 1 : 0);
    }

    // ------------------------------------------------------------------------- freeing off-heap memory now

    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;
    private static final Method GET_LONG;
    private static final long ADDRESS_OFFSET;

    static {
        Object unsafe = null;
        Method invoke = null;
        Method getLong = null;
        long addressOffset = -1;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            invoke = c.getMethod("invokeCleaner", ByteBuffer.class);
            getLong = c.getMethod("getLong", Object.class, long.class);
            addressOffset = (long) c.getMethod("objectFieldOffset", Field.class)
                    .invoke(unsafe, java.nio.Buffer.class.getDeclaredField("address"));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not available: memory is released when the buffers are garbage-collected; no shared locations
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = invoke;
        GET_LONG = getLong;
        ADDRESS_OFFSET = addressOffset;
    }

    /** The native address of a direct buffer, or 0 if it cannot be read. */
    private static long address(ByteBuffer b) {
        if (GET_LONG == null || ADDRESS_OFFSET < 0 || !b.isDirect()) {
            return 0;
        }
        try {
            return (long) GET_LONG.invoke(UNSAFE, b, ADDRESS_OFFSET);
        } catch (ReflectiveOperationException e) {
            return 0;
        }
    }

    /** Frees a direct buffer or unmaps a mapped one at once, instead of at some later garbage collection. */
    private static void release(ByteBuffer b) {
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, b);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("could not free arena memory", e);
        }
    }
}
