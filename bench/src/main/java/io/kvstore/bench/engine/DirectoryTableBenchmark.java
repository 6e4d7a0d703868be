package io.kvstore.bench.engine;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.table.KeyedTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The directory's table against the {@code ConcurrentHashMap} it replaced, in the same run: {@code get} of a cached
 * key (LOOKUP's and GET's locate step) and a churn step (a block evicted and another put: remove, then
 * putIfAbsent), with {@code entries} blocks cached. Values carry their keys, as the store's entries do.
 *
 * <p>Run with JMH's main: {@code java -Xms2g -Xmx2g -cp "bench/target/classes:bench/target/lib/*"
 * org.openjdk.jmh.Main DirectoryTableBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DirectoryTableBenchmark {

    /** Blocks cached. */
    @Param({"1000000"})
    int entries;

    /** {@code keyed} (KeyedTable) or {@code chm} (ConcurrentHashMap, the baseline). */
    @Param({"keyed", "chm"})
    String table;

    /** A value that knows its key, like the directory's entry. */
    static final class Value {
        final BlockKey key;

        Value(BlockKey key) {
            this.key = key;
        }
    }

    private Value[] values;
    private KeyedTable<BlockKey, Value> keyed;
    private ConcurrentHashMap<BlockKey, Value> chm;
    private final SplittableRandom random = new SplittableRandom(42);
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        values = new Value[2 * entries];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < values.length; i++) {
            values[i] = new Value(BlockKey.synthetic(r.nextLong(), r.nextLong()));
        }
        keyed = new KeyedTable<>(v -> v.key);
        chm = new ConcurrentHashMap<>();
        for (int i = 0; i < entries; i++) {
            if ("keyed".equals(table)) {
                keyed.putIfAbsent(values[i]);
            } else {
                chm.putIfAbsent(values[i].key, values[i]);
            }
        }
        next = entries;
    }

    /** The value of a cached key. */
    @Benchmark
    public Value get() {
        BlockKey k = values[random.nextInt(entries)].key;
        return "keyed".equals(table) ? keyed.get(k) : chm.get(k);
    }

    /** The oldest block leaves and a new one arrives: the cache stays at {@code entries}. */
    @Benchmark
    public Value churn() {
        Value out = values[(next - entries) % values.length];
        Value in = values[next % values.length];
        next++;
        if ("keyed".equals(table)) {
            keyed.remove(out.key, out);
            return keyed.putIfAbsent(in);
        }
        chm.remove(out.key, out);
        return chm.putIfAbsent(in.key, in);
    }
}
