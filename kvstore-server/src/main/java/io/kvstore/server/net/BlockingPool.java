package io.kvstore.server.net;

import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool for the work an event loop must not do itself (disk and network reads, stores that may demote):
 * {@code threads} threads, at most {@code depth} tasks waiting, beyond which {@link #execute} throws {@link
 * RejectedExecutionException} (the request is answered BUSY).
 *
 * <p>Event loops hand work over without a lock. An {@code ArrayBlockingQueue} guards its offers and takes with one
 * lock, which the pool's threads also hold while they take; on a machine with more busy threads than cores a thread
 * preempted while holding it parked event loops for several milliseconds (a JFR recording of {@code bench load}
 * showed 4-11 ms parks in {@code Request.offload}). Here the queue is a {@link LinkedTransferQueue} (offers and
 * takes by compare-and-set) and the bound is a counter, incremented when a task is submitted and decremented when
 * a thread starts it. All threads start at once, so that submitting never creates one (which takes the pool's
 * own lock).
 */
public final class BlockingPool extends ThreadPoolExecutor {

    private final int depth;
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * @param name    thread name prefix ({@code name-1}, {@code name-2}, ...)
     * @param threads pool threads, >= 1
     * @param depth   tasks that may wait for a thread, >= 1
     */
    public BlockingPool(String name, int threads, int depth) {
        super(threads, threads, 30, TimeUnit.SECONDS, new LinkedTransferQueue<>(), threadFactory(name));
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be >= 1, was " + depth);
        }
        this.depth = depth;
        prestartAllCoreThreads();
    }

    private static java.util.concurrent.ThreadFactory threadFactory(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Queues {@code task}; throws {@link RejectedExecutionException} if {@code depth} tasks already wait. */
    @Override
    public void execute(Runnable task) {
        if (waiting.incrementAndGet() > depth) {
            waiting.decrementAndGet();
            throw new QueueFull(depth);
        }
        try {
            super.execute(task);
        } catch (RejectedExecutionException shutDown) {
            waiting.decrementAndGet();
            throw shutDown;
        }
    }

    @Override
    protected void beforeExecute(Thread t, Runnable r) {
        waiting.decrementAndGet();
    }

    /**
     * The refusal of a full queue. Its callers expect it under load (a promotion skipped, a request answered BUSY)
     * and never print it, so it carries no stack trace: filling one in walks the stack of the refusing thread, often
     * an event loop, and a profile of {@code bench load}'s full daemon found that walk among its samples.
     */
    static final class QueueFull extends RejectedExecutionException {
        private static final long serialVersionUID = 1L;

        QueueFull(int depth) {
            super("the blocking pool's queue is full (" + depth + " waiting tasks)");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Tasks waiting for a thread. */
    public int waiting() {
        return Math.max(0, waiting.get());
    }

    /** The most tasks that may wait. */
    public int depth() {
        return depth;
    }

    /** Stops taking tasks and waits up to 5 seconds for those queued and running, then interrupts what is left. */
    public void shutdownAndWait() {
        shutdown();
        try {
            if (!awaitTermination(5, TimeUnit.SECONDS)) {
                shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
