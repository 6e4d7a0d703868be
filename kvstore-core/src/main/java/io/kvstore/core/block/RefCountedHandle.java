package io.kvstore.core.block;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The standard {@link BlockHandle}: any number of handles share one reference count over one payload; when the
 * last is closed, the tier's release action runs exactly once (it may then reuse the memory).
 *
 * <p>Leak detection: a handle that becomes unreachable without being closed is counted in {@link #leaks()} (and
 * its reference is released, so the memory is not lost). With {@code -Dkvstore.leakDetection=paranoid} the
 * stack trace of each leaked handle's creation is printed; tests assert {@code leaks() == 0}. That count depends on
 * the garbage collector having run; {@link #open()} does not: it counts the handles created and not yet closed (or
 * collected), so a test can check that every handle it caused was closed.
 */
public final class RefCountedHandle implements BlockHandle {

    /**
     * Cleaners that release a handle the garbage collector found unclosed. Several, because each keeps its handles
     * in one list under one monitor, taken by every handle's creation and close: with a single cleaner, readers on
     * the event loops and the blocking pool queued on that monitor (JFR: up to 6 ms on an event loop).
     */
    private static final Cleaner[] CLEANERS = new Cleaner[8];

    static {
        for (int i = 0; i < CLEANERS.length; i++) {
            CLEANERS[i] = Cleaner.create();
        }
    }
    private static final boolean PARANOID = "paranoid".equalsIgnoreCase(
            System.getProperty("kvstore.leakDetection", System.getProperty("io.netty.leakDetection.level", "")));
    private static final LongAdder LEAKS = new LongAdder();
    private static final LongAdder OPEN = new LongAdder();

    private final BlockMeta meta;
    private final ByteBuffer view;
    private final Shared shared;
    private final State state;
    private final Cleaner.Cleanable cleanable;

    private RefCountedHandle(BlockMeta meta, ByteBuffer view, Shared shared) {
        this.meta = meta;
        this.view = view;
        this.shared = shared;
        this.state = new State(shared, PARANOID ? new Throwable("leaked block handle created here") : null);
        this.cleanable = CLEANERS[(int) (Thread.currentThread().getId() & (CLEANERS.length - 1))].register(this, state);
        OPEN.increment();
    }

    /**
     * Creates the first handle over {@code payload}.
     *
     * @param meta      the block's metadata
     * @param payload   the bytes (position..limit); kept as a read-only view, not copied
     * @param onRelease run once when the last handle is closed; may be null
     */
    public static RefCountedHandle create(BlockMeta meta, ByteBuffer payload, Runnable onRelease) {
        ByteBuffer ro = payload.slice().asReadOnlyBuffer();
        return new RefCountedHandle(meta, ro, new Shared(onRelease));
    }

    /** Handles that were garbage-collected without being closed, since the JVM started. */
    public static long leaks() {
        return LEAKS.sum();
    }

    /** Handles created and neither closed nor garbage-collected yet, in this JVM. */
    public static long open() {
        return OPEN.sum();
    }

    @Override
    public BlockMeta meta() {
        checkOpen();
        return meta;
    }

    @Override
    public ByteBuffer payload() {
        checkOpen();
        return view.duplicate();
    }

    @Override
    public BlockHandle retain() {
        checkOpen();
        shared.refs.incrementAndGet();
        return new RefCountedHandle(meta, view, shared);
    }

    @Override
    public boolean isOpen() {
        return !state.closed.get();
    }

    @Override
    public void close() {
        if (state.closed.compareAndSet(false, true)) {
            cleanable.clean();
        }
    }

    private void checkOpen() {
        if (state.closed.get()) {
            throw new IllegalStateException("block handle is closed: " + meta.key().shortHex());
        }
    }

    /** The reference count shared by all handles of one payload. */
    private static final class Shared {
        final AtomicInteger refs = new AtomicInteger(1);
        final Runnable onRelease;

        Shared(Runnable onRelease) {
            this.onRelease = onRelease;
        }

        void release() {
            int left = refs.decrementAndGet();
            if (left == 0 && onRelease != null) {
                onRelease.run();
            } else if (left < 0) {
                throw new IllegalStateException("block payload released more often than retained");
            }
        }
    }

    /** Runs on close, or on garbage collection of an unclosed handle (a leak). Holds no reference to the handle. */
    private static final class State implements Runnable {
        final Shared shared;
        final Throwable origin;
        final AtomicBoolean closed = new AtomicBoolean();

        State(Shared shared, Throwable origin) {
            this.shared = shared;
            this.origin = origin;
        }

        @Override
        public void run() {
            OPEN.decrement(); // once per handle: a Cleanable runs its action at most once
            if (closed.compareAndSet(false, true)) {
                LEAKS.increment();
                if (origin != null) {
                    origin.printStackTrace();
                }
            }
            shared.release();
        }
    }
}
