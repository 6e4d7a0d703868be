package io.kvstore.core.table;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

/**
 * Lincheck: {@link KeyedTable}'s operations, run concurrently, must be linearizable against the same table run
 * sequentially. One segment of four slots at least, so that inserts rebuild the array under lock-free readers
 * (planting a rebuild that clears the old array, which readers may still probe, fails it); values are
 * strings that carry their key in their first character, and operations answer the value's text (identity is
 * not comparable across Lincheck's sequential replay). {@link KeyedTable#size} is left out: like
 * {@code ConcurrentHashMap}'s, it is exact only when no write is running (the model checker shows a read that finds
 * a value whose insert has not yet counted it).
 */
@Param(name = "key", gen = IntGen.class, conf = "0:5")
public class KeyedTableLinearizabilityTest {

    private final KeyedTable<Character, String> table = new KeyedTable<>(1, 4, true, v -> v.charAt(0));

    private static char key(int k) {
        return (char) ('a' + k);
    }

    @Operation
    public String get(@Param(name = "key") int k) {
        return table.get(key(k));
    }

    /** {@code get} through the batch read ({@link KeyedTable#getAll}) of one key, which must be as linearizable. */
    @Operation
    public String getAll(@Param(name = "key") int k) {
        Object[] out = new Object[1];
        table.getAll(java.util.List.of(key(k)), 0, 1, out);
        return (String) out[0];
    }

    @Operation
    public String putIfAbsent(@Param(name = "key") int k, int version) {
        return table.putIfAbsent(key(k) + Integer.toString(Math.floorMod(version, 3)));
    }

    @Operation
    public String put(@Param(name = "key") int k, int version) {
        return table.put(key(k) + Integer.toString(Math.floorMod(version, 3)));
    }

    @Operation
    public String remove(@Param(name = "key") int k) {
        return table.remove(key(k));
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void operationsAreLinearizableUnderStress() {
        new StressOptions().iterations(30).invocationsPerIteration(300).threads(3).actorsPerThread(4)
                .actorsBefore(6).check(KeyedTableLinearizabilityTest.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void operationsAreLinearizableUnderModelChecking() {
        new ModelCheckingOptions().iterations(30).invocationsPerIteration(300).threads(3).actorsPerThread(3)
                .actorsBefore(6).check(KeyedTableLinearizabilityTest.class);
    }
}
