package io.kvstore.core.table;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A concurrent hash table of values that carry their own keys: the store's directory and the NVMe tier's index,
 * where a value already holds its key and a {@link java.util.concurrent.ConcurrentHashMap} would add a 32-byte node
 * per entry (key, value, hash, next) on top of its table.
 *
 * <h2>Design</h2>
 * The keys are spread over a fixed number of segments; each segment is an open-addressing table (linear probing)
 * of references to the values themselves, with each slot's key hash in a parallel {@code int} array so that a probe
 * compares hashes and dereferences a value only when they match (as a {@code ConcurrentHashMap} node keeps its
 * hash). An entry costs a 4-byte reference (with compressed references) and a 4-byte hash at a load factor between
 * 3/8 and 3/4: about 14 bytes per entry on average, against about 40 for {@code ConcurrentHashMap}. A
 * {@link #compact} table keeps no hashes (about 7 bytes per entry) and compares keys at every probed slot: for
 * tables off the latency path, or whose values are their keys.
 * <ul>
 *   <li><b>Reads take no lock.</b> A reader reads the segment's current slot array (a volatile field) and probes
 *   it with acquire loads. A value is published into its slot with a release store, so a reader that sees it sees
 *   it whole, and the hash written before it.</li>
 *   <li><b>Writes take their segment's monitor</b>, held for a probe and a store, never across I/O or a call out.
 *   A removal leaves a tombstone, so a probe sequence is never cut short while readers walk it; a later insert
 *   reuses the first tombstone on its key's sequence.</li>
 *   <li><b>Growth copies references into a new array and publishes it</b>; the old array is never written again,
 *   so a reader still probing it finds every entry that was there when the copy began. The table grows (or is
 *   rebuilt at its size, to drop tombstones) when live entries and tombstones reach 3/4 of its slots, so a probe
 *   always ends at an empty slot.</li>
 * </ul>
 *
 * <h2>Consistency</h2>
 * {@link #get} is linearizable: an entry present for the whole of a read is found, whatever writes run beside it
 * (entries never move within an array, and a copy's old array keeps them). A read that overlaps a removal and a
 * re-insert of the same key may answer either entry or, at the moment between them, none. {@link #forEach} is
 * weakly consistent, like a {@code ConcurrentHashMap} iterator. {@link #size} is exact when no write is running.
 *
 * <p>Null keys and values are refused. A value's key must not change while it is in the table.
 *
 * @param <K> key type (with a well-spread {@code hashCode}; it is mixed again here)
 * @param <V> value type, which knows its key
 */
public final class KeyedTable<K, V> implements Iterable<V> {

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final Object TOMBSTONE = new Object();
    private static final int MIN_SLOTS = 16;

    private final Function<? super V, ? extends K> keyOf;
    private final Segment[] segments;
    private final int segmentShift;
    private final int minSlots;

    /**
     * A table with {@code segments} segments (a power of two: the number of writers that can work at once; 64 is
     * plenty for a daemon's threads), reading each value's key with {@code keyOf}.
     */
    public KeyedTable(int segments, Function<? super V, ? extends K> keyOf) {
        this(segments, MIN_SLOTS, true, keyOf);
    }

    /** A table that keeps no hashes beside its slots: half the memory, a key comparison per probed slot. */
    public static <K, V> KeyedTable<K, V> compact(int segments, Function<? super V, ? extends K> keyOf) {
        return new KeyedTable<>(segments, MIN_SLOTS, false, keyOf);
    }

    /** With segments of at least {@code minSlots} slots (a power of two): tests make it small to rebuild often. */
    KeyedTable(int segments, int minSlots, boolean hashed, Function<? super V, ? extends K> keyOf) {
        if (minSlots < 2 || Integer.bitCount(minSlots) != 1) {
            throw new IllegalArgumentException("minSlots must be a power of two >= 2, was " + minSlots);
        }
        this.minSlots = minSlots;
        if (segments < 1 || Integer.bitCount(segments) != 1) {
            throw new IllegalArgumentException("segments must be a power of two, was " + segments);
        }
        this.keyOf = Objects.requireNonNull(keyOf, "keyOf");
        this.segments = new Segment[segments];
        for (int i = 0; i < segments; i++) {
            this.segments[i] = new Segment(minSlots, hashed);
        }
        this.segmentShift = 32 - Integer.numberOfTrailingZeros(segments);
    }

    /** A table of 64 segments. */
    public KeyedTable(Function<? super V, ? extends K> keyOf) {
        this(64, keyOf);
    }

    /** The value whose key equals {@code key}, or null. Lock-free. */
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        int h = hash(key);
        Table a = segmentOf(h).table;
        Object[] slots = a.slots;
        int mask = slots.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            Object o = SLOTS.getAcquire(slots, i);
            if (o == null) {
                return null;
            }
            // the hash is read after the value's acquire: it is the value's own, or a later one's if the slot was
            // emptied and reused since, which means o was removed meanwhile and may be skipped
            if (o != TOMBSTONE && holds(a, i, o, h, key)) {
                return (V) o;
            }
        }
    }

    /**
     * {@link #get} of {@code n} keys at once: {@code out[j]} becomes the value of {@code keys.get(from + j)}, or
     * null. Each answer is what a {@code get} of that key would have answered at some moment during the call (the
     * keys are not read as one snapshot). Lock-free.
     *
     * <p>Why not a loop of {@code get}s: where the table is not in the CPU's caches, a hit costs a chain of dependent
     * memory loads (the slot, its hash, the value, what the key function reads through it, the key's bytes), and a
     * loop of {@code get}s waits for each chain in turn. Here every stage runs over all the keys before the next
     * stage starts, so the loads of different keys are independent and in flight together. A key whose first
     * probed slot does not settle it (a hash or key mismatch, a tombstone: a collision) is looked up again with
     * {@code get}.
     */
    @SuppressWarnings("unchecked")
    public void getAll(List<? extends K> keys, int from, int n, Object[] out) {
        int[] hashes = new int[n];
        int[] at = new int[n];
        Table[] tables = new Table[n];
        Object[] found = new Object[n];
        // 1: each key's hash, segment table and first probed slot, read with acquire as get reads it
        for (int j = 0; j < n; j++) {
            int h = hash(keys.get(from + j));
            Table t = segmentOf(h).table;
            int i = h & (t.slots.length - 1);
            hashes[j] = h;
            at[j] = i;
            tables[j] = t;
            out[j] = SLOTS.getAcquire(t.slots, i);
        }
        // 2: the slot's hash (read after the value, as get reads it) and, where it matches, the value's key
        for (int j = 0; j < n; j++) {
            Object o = out[j];
            Table t = tables[j];
            if (o != null && o != TOMBSTONE && (t.hashes == null || t.hashes[at[j]] == hashes[j])) {
                found[j] = keyOf.apply((V) o);
            }
        }
        // 3: compare the keys; an empty first slot is a miss, anything else unsettled is probed again by get
        for (int j = 0; j < n; j++) {
            if (out[j] != null && (found[j] == null || !keys.get(from + j).equals(found[j]))) {
                out[j] = get(keys.get(from + j));
            }
        }
    }

    /** True if some value has key {@code key}. Lock-free. */
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    /** Adds {@code value} unless a value of the same key is there; returns that value, or null if added. */
    public V putIfAbsent(V value) {
        return insert(value, false);
    }

    /** Adds {@code value}, replacing the value of the same key if any; returns the value replaced, or null. */
    public V put(V value) {
        return insert(value, true);
    }

    /** Removes the value of {@code key} if it is {@code expected} (compared by identity); true if it was. */
    public boolean remove(Object key, V expected) {
        Objects.requireNonNull(expected, "expected");
        return removeKey(key, expected) != null;
    }

    /** Removes the value of {@code key}, if any, and returns it. */
    public V remove(Object key) {
        return removeKey(key, null);
    }

    /** Values present, each once; weakly consistent with writes running beside it. */
    public void forEach(Consumer<? super V> action) {
        forEachWhile(v -> {
            action.accept(v);
            return true;
        });
    }

    /**
     * {@link #forEach} that stops at the first value {@code action} answers false for; false if it stopped there.
     */
    @SuppressWarnings("unchecked")
    public boolean forEachWhile(Predicate<? super V> action) {
        for (Segment s : segments) {
            Object[] slots = s.table.slots;
            for (int i = 0; i < slots.length; i++) {
                Object o = SLOTS.getAcquire(slots, i);
                if (o != null && o != TOMBSTONE && !action.test((V) o)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The values present, each once; weakly consistent, like {@link #forEach}. Does not support removal. */
    @Override
    public Iterator<V> iterator() {
        return new Iterator<>() {
            private int segment;
            private Object[] slots = segments[0].table.slots;
            private int slot;
            private V next = advance();

            @SuppressWarnings("unchecked")
            private V advance() {
                while (true) {
                    while (slot < slots.length) {
                        Object o = SLOTS.getAcquire(slots, slot++);
                        if (o != null && o != TOMBSTONE) {
                            return (V) o;
                        }
                    }
                    if (++segment == segments.length) {
                        return null;
                    }
                    slots = segments[segment].table.slots;
                    slot = 0;
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public V next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                V v = next;
                next = advance();
                return v;
            }
        };
    }

    /**
     * A set of keys: a table whose values are the keys themselves ({@code segments} as in the constructor; 1 for
     * many small sets, where each costs about 100 bytes empty).
     */
    public static <K> KeyedTable<K, K> keySet(int segments) {
        return compact(segments, k -> k);
    }

    /** Entries in the table (exact when no write is running). */
    public int size() {
        long n = 0;
        for (Segment s : segments) {
            n += s.live;
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    /** True if the table holds nothing. */
    public boolean isEmpty() {
        return size() == 0;
    }

    /** Slots allocated over all segments (8 bytes each: a compressed reference and a hash): for accounting. */
    public long capacity() {
        long n = 0;
        for (Segment s : segments) {
            n += s.table.slots.length;
        }
        return n;
    }

    /** Removes everything. */
    public void clear() {
        for (Segment s : segments) {
            synchronized (s) {
                s.live = 0;
                s.used = 0;
                s.table = new Table(minSlots, s.table.hashes != null);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private V insert(V value, boolean replace) {
        K key = Objects.requireNonNull(keyOf.apply(Objects.requireNonNull(value, "value")), "key");
        int h = hash(key);
        Segment s = segmentOf(h);
        synchronized (s) {
            Table a = s.table;
            Object[] slots = a.slots;
            int mask = slots.length - 1;
            int free = -1;
            int empty;
            for (int i = h & mask; ; i = (i + 1) & mask) {
                Object o = slots[i];
                if (o == null) {
                    empty = i;
                    break;
                }
                if (o == TOMBSTONE) {
                    if (free < 0) {
                        free = i;
                    }
                } else if (holds(a, i, o, h, key)) {
                    if (replace) {
                        SLOTS.setRelease(slots, i, value);
                    }
                    return (V) o;
                }
            }
            if (free < 0) {
                // no tombstone to reuse: take the empty slot, after a rebuild if live values and tombstones
                // would pass 3/4 of the slots (the rebuilt array has no tombstones)
                if (4L * (s.used + 1) > 3L * slots.length) {
                    a = s.rebuild(minSlots, keyOf);
                    slots = a.slots;
                    empty = firstEmpty(slots, h);
                }
                free = empty;
                s.used++;
            }
            if (a.hashes != null) {
                a.hashes[free] = h; // before the value's release store, which publishes both
            }
            SLOTS.setRelease(slots, free, value);
            s.live++;
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private V removeKey(Object key, V expected) {
        int h = hash(key);
        Segment s = segmentOf(h);
        synchronized (s) {
            Table a = s.table;
            Object[] slots = a.slots;
            int mask = slots.length - 1;
            for (int i = h & mask; ; i = (i + 1) & mask) {
                Object o = slots[i];
                if (o == null) {
                    return null;
                }
                if (o != TOMBSTONE && holds(a, i, o, h, key)) {
                    if (expected != null && o != expected) {
                        return null;
                    }
                    SLOTS.setRelease(slots, i, TOMBSTONE);
                    s.live--;
                    return (V) o;
                }
            }
        }
    }

    /** True if {@code o}, the value in slot {@code i} of {@code t}, has key {@code key} (of hash {@code h}). */
    @SuppressWarnings("unchecked")
    private boolean holds(Table t, int i, Object o, int h, Object key) {
        return (t.hashes == null || t.hashes[i] == h) && key.equals(keyOf.apply((V) o));
    }

    /** The first empty slot on the probe sequence of hash {@code h} (there is one: tables stay under 3/4 full). */
    private static int firstEmpty(Object[] slots, int h) {
        int mask = slots.length - 1;
        int i = h & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private Segment segmentOf(int h) {
        return segments[(h >>> segmentShift) & (segments.length - 1)]; // the high bits (shift 32 is 0 in Java)
    }

    /** Mixes the key's hash (its high bits pick the segment, its low bits the slot). */
    private static int hash(Object key) {
        int h = key.hashCode() * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** A segment's slots and their hashes, replaced together when the segment is rebuilt. */
    private static final class Table {
        final Object[] slots;
        /**
         * The hash ({@link #hash}) of the key of the value in the same slot, meaningless where there is none; null
         * in a {@link #compact} table.
         */
        final int[] hashes;

        Table(int n, boolean hashed) {
            slots = new Object[n];
            hashes = hashed ? new int[n] : null;
        }
    }

    /** One segment: an open-addressing table, written under the segment's monitor. */
    private static final class Segment {
        volatile Table table;
        /** Values present (written under the monitor; volatile for {@link #size}). */
        volatile int live;
        /** Slots not empty: values and tombstones. */
        int used;

        Segment(int minSlots, boolean hashed) {
            table = new Table(minSlots, hashed);
        }

        /**
         * Copies the live values into a new table of at least twice their count and publishes it; the old one is
         * left as it was for readers still on it.
         */
        @SuppressWarnings("unchecked")
        <V> Table rebuild(int minSlots, Function<? super V, ?> keyOf) {
            Table old = table;
            // the next power of two at or above twice the live values: at most half full after the rebuild
            int want = Math.max(minSlots, Integer.highestOneBit(2 * (live + 1) - 1) << 1);
            Table fresh = new Table(want, old.hashes != null);
            for (int j = 0; j < old.slots.length; j++) {
                Object o = old.slots[j];
                if (o != null && o != TOMBSTONE) {
                    int h = old.hashes != null ? old.hashes[j] : hash(keyOf.apply((V) o));
                    int i = firstEmpty(fresh.slots, h);
                    fresh.slots[i] = o;
                    if (fresh.hashes != null) {
                        fresh.hashes[i] = h;
                    }
                }
            }
            used = live;
            table = fresh; // volatile write: publishes the filled table
            return fresh;
        }
    }
}
