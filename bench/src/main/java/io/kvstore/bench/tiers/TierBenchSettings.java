package io.kvstore.bench.tiers;

import java.util.List;

/**
 * How long and how wide {@code bench tiers} measures.
 *
 * @param sizes              block sizes in bytes
 * @param threads            thread counts to run each benchmark with
 * @param forks              JMH forks per benchmark (fresh JVMs)
 * @param warmupIterations   JMH warm-up iterations per fork
 * @param measureIterations  JMH measured iterations per fork
 * @param iterationMillis    length of one iteration
 * @param verbose            print JMH's own output
 * @param dramArena          where the DRAM tier's arena lives: {@code shm} (memory-mapped files in /dev/shm, the
 *                           daemon's default) or {@code private} (anonymous direct memory, {@code dramPersist=false})
 */
public record TierBenchSettings(List<Integer> sizes, List<Integer> threads, int forks, int warmupIterations,
                                int measureIterations, int iterationMillis, boolean verbose, String dramArena) {

    /** Size every short report quotes: 2 MiB. */
    public static final int HEADLINE_SIZE = 2 * 1024 * 1024;

    public TierBenchSettings {
        sizes = List.copyOf(sizes);
        threads = List.copyOf(threads);
        if (sizes.isEmpty() || threads.isEmpty() || forks < 1 || warmupIterations < 0 || measureIterations < 1
                || iterationMillis < 10 || !List.of("shm", "private").contains(dramArena)) {
            throw new IllegalArgumentException("bad benchmark settings: " + this);
        }
    }
}
