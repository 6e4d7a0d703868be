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
 * key (GET's locate step), {@code miss} of a key not cached (where a LOOKUP stops) and a churn step (a block evicted
 * and another put: remove, then putIfAbsent), with {@code entries} blocks cached. Values carry their keys, as the
 * store's entries do, behind two references (entry, metadata, key). As in the daemon, where the directory, the
 * NVMe index and key sets all use {@code KeyedTable}, the set-up runs tables with other key functions first, so
 * that the table's call of its key function is not inlined for one type only.
 *
 * <p>Run with JMH's main: {@code java -Xms2g -Xmx2g -cp "bench/target/classes:bench/target/lib/*"
 * org.openjdk.jmh.Main DirectoryTableBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DirectoryTableBenchmark {

    /** Blocks cached. */
    @Param({"10000", "1000000"})
    int entries;

    /**
     * {@code keyed} (KeyedTable, as the directory uses it), {@code compact} (KeyedTable without hashes, as the NVMe
     * index uses it) or {@code chm} (ConcurrentHashMap, the baseline).
     */
    @Param({"keyed", "compact", "chm"})
    String table;

    /** What the directory's entry holds: its metadata, which holds the key. */
    record Meta(BlockKey key) {
    }

    /** A value that knows its key through its metadata, like the directory's entry. */
    static final class Value {
        volatile Meta meta;

        Value(BlockKey key) {
            this.meta = new Meta(key);
        }

        BlockKey key() {
            return meta.key();
        }
    }

    private Value[] values;
    private BlockKey[] absent;
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
        absent = new BlockKey[entries];
        for (int i = 0; i < entries; i++) {
            absent[i] = BlockKey.synthetic(r.nextLong(), r.nextLong());
        }
        KeyedTable<BlockKey, BlockKey> set = KeyedTable.keySet(64);
        KeyedTable<String, String[]> other = new KeyedTable<>(a -> a[0]);
        for (int i = 0; i < 200_000; i++) {
            set.putIfAbsent(absent[i % entries]);
            set.get(absent[(i * 7) % entries]);
            other.putIfAbsent(new String[] {Integer.toString(i)});
            other.get(Integer.toString(i / 2));
        }
        keyed = "compact".equals(table) ? KeyedTable.compact(64, Value::key) : new KeyedTable<>(Value::key);
        chm = new ConcurrentHashMap<>();
        for (int i = 0; i < entries; i++) {
            if (!"chm".equals(table)) {
                keyed.putIfAbsent(values[i]);
            } else {
                chm.putIfAbsent(values[i].key(), values[i]);
            }
        }
        next = entries;
    }

    /** The value of a cached key. */
    @Benchmark
    public Value get() {
        BlockKey k = values[random.nextInt(entries)].key();
        return !"chm".equals(table) ? keyed.get(k) : chm.get(k);
    }

    /** A key not cached. */
    @Benchmark
    public Value miss() {
        BlockKey k = absent[random.nextInt(entries)];
        return !"chm".equals(table) ? keyed.get(k) : chm.get(k);
    }

    /** The oldest block leaves and a new one arrives: the cache stays at {@code entries}. */
    @Benchmark
    public Value churn() {
        Value out = values[(next - entries) % values.length];
        Value in = values[next % values.length];
        next++;
        if (!"chm".equals(table)) {
            keyed.remove(out.key(), out);
            return keyed.putIfAbsent(in);
        }
        chm.remove(out.key(), out);
        return chm.putIfAbsent(in.key(), in);
    }
}
