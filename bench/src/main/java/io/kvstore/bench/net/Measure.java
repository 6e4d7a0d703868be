package io.kvstore.bench.net;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/** Timing helpers shared by the throughput measurements. */
final class Measure {

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

    /** The median of {@code xs}. */
    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = a.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }
}
