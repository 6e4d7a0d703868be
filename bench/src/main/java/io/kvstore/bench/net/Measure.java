package io.kvstore.bench.net;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/** Timing helpers shared by the throughput measurements. */
public final class Measure {

    private Measure() {
    }

    /** Starts {@code threads}, warms up, counts {@code bytes} over {@code millis}, stops them; bytes/s. */
    static double timed(List<Thread> threads, AtomicBoolean stop, LongAdder bytes, long millis) throws Exception {
        threads.forEach(Thread::start);
        Thread.sleep(Math.min(500, millis / 4));
        long b0 = bytes.sum();
        long t0 = System.nanoTime();
        Thread.sleep(millis);
        long b = bytes.sum() - b0;
        double secs = (System.nanoTime() - t0) / 1e9;
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
        return b / secs;
    }

    /** The loop of one measuring thread: runs until {@code stop}, adding the payload bytes it received. */
    interface Worker {
        void run(int index, AtomicBoolean stop, LongAdder bytes) throws Exception;
    }

    /**
     * Runs {@code threads} workers for {@code millis} (after a warm-up) and returns bytes per second; the first
     * worker failure is rethrown.
     */
    static double throughput(String name, int threads, long millis, Worker worker) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder bytes = new LongAdder();
        List<Thread> ts = new java.util.ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        for (int i = 0; i < threads; i++) {
            int index = i;
            ts.add(new Thread(() -> {
                try {
                    worker.run(index, stop, bytes);
                } catch (Throwable t) {
                    errors.add(t);
                }
            }, name + "-" + i));
        }
        double bps = timed(ts, stop, bytes, millis);
        if (!errors.isEmpty()) {
            throw new IllegalStateException(name + " failed", errors.get(0));
        }
        return bps;
    }

    /** The median of {@code xs}. */
    public static double median(List<Double> xs) {
        return io.kvstore.bench.Medians.of(xs);
    }
}
