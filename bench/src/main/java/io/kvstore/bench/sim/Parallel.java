package io.kvstore.bench.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs independent replays on a fixed number of daemon threads and returns their results in task order. */
public final class Parallel {
    private Parallel() {
    }

    /**
     * Runs every task; a task's RuntimeException is rethrown as is (the first in task order), any other failure
     * wrapped in an IllegalStateException.
     *
     * @param threads worker threads, at least 1 is used
     * @param name    the worker threads' name
     */
    public static <T> List<T> run(List<Callable<T>> tasks, int threads, String name) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> runs = new ArrayList<>();
            for (Callable<T> task : tasks) {
                runs.add(pool.submit(task));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : runs) {
                out.add(f.get());
            }
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
