package io.kvstore.core.tier;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.table.KeyedTable;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Shared bookkeeping of the two in-process tiers that keep their blocks in a {@link KeyedTable}:
 * capacity reservation, counters, close. Subclasses decide what a stored entry holds.
 */
abstract class AbstractMapTier<E> implements Tier {

    private final String name;
    private final long capacityBytes;
    final KeyedTable<BlockKey, E> entries = KeyedTable.compact(64, e -> metaOf(e).key());
    /** Bytes counted against the capacity: stored blocks and reservations. */
    private final AtomicLong used = new AtomicLong();
    /** Bytes of reservations not committed yet (part of {@code used}, not of {@link #usedBytes()}). */
    final AtomicLong reservedBytes = new AtomicLong();
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder corrupt = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();

    AbstractMapTier(String name, long capacityBytes) {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException(name + ": capacityBytes must be >= 1, was " + capacityBytes);
        }
        this.name = name;
        this.capacityBytes = capacityBytes;
    }

    abstract BlockMeta metaOf(E entry);

    abstract E newEntry(BlockMeta meta, ByteBuffer payload);

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final long capacityBytes() {
        return capacityBytes;
    }

    @Override
    public final long usedBytes() {
        return used.get() - reservedBytes.get();
    }

    @Override
    public final long blockCount() {
        return entries.size();
    }

    @Override
    public final PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        checkOpen();
        if (storesPayloads() && payload.remaining() != meta.length()) {
            throw new IllegalArgumentException("payload has " + payload.remaining() + " bytes, metadata says "
                    + meta.length());
        }
        long fp = footprint(meta.length());
        if (fp > capacityBytes) {
            return PutOutcome.TOO_LARGE;
        }
        if (entries.containsKey(meta.key())) {
            return PutOutcome.ALREADY_PRESENT;
        }
        if (!take(fp)) {
            return PutOutcome.NO_CAPACITY;
        }
        if (entries.putIfAbsent(newEntry(meta, payload)) != null) {
            used.addAndGet(-fp);
            return PutOutcome.ALREADY_PRESENT;
        }
        return PutOutcome.STORED;
    }

    /** Counts {@code fp} more bytes against the capacity; false (nothing counted) if they do not fit. */
    final boolean take(long fp) {
        long u;
        do {
            u = used.get();
            if (u + fp > capacityBytes) {
                return false;
            }
        } while (!used.compareAndSet(u, u + fp));
        return true;
    }

    /** Gives back bytes counted by {@link #take} for a block that was never stored. */
    final void untake(long fp) {
        used.addAndGet(-fp);
    }

    @Override
    public final Optional<BlockMeta> meta(BlockKey key) {
        checkOpen();
        E e = entries.get(key);
        return e == null ? Optional.empty() : Optional.of(metaOf(e));
    }

    @Override
    public final boolean remove(BlockKey key) {
        checkOpen();
        E e = entries.remove(key);
        if (e == null) {
            return false;
        }
        used.addAndGet(-footprint(metaOf(e).length()));
        return true;
    }

    @Override
    public final void forEach(Consumer<BlockMeta> visitor) {
        checkOpen();
        entries.forEach(e -> visitor.accept(metaOf(e)));
    }

    @Override
    public TierStats stats() {
        return new TierStats(name, capacityBytes, used.get(), entries.size(), hits.sum(), misses.sum(),
                corrupt.sum(), Map.of());
    }

    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            entries.clear();
            used.set(0);
            reservedBytes.set(0);
        }
    }

    final boolean isClosed() {
        return closed.get();
    }

    final void checkOpen() {
        if (closed.get()) {
            throw new TierClosedException("tier " + name);
        }
    }
}
