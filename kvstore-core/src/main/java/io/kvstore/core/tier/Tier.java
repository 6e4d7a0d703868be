package io.kvstore.core.tier;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One storage tier: a bounded store of blocks keyed by {@link BlockKey}. A tier stores and serves bytes; it
 * does not decide what to evict (the {@code TieredStore} asks the tier's eviction policy and then calls
 * {@link #remove}), unless it {@link #evictsItself() evicts itself}. A tier never holds more than {@link
 * #capacityBytes()}: a put that does not fit answers {@link PutOutcome#NO_CAPACITY} (or, in a tier that evicts
 * itself, makes room).
 *
 * <p>Integrity: a tier verifies a payload against its CRC32C whenever it leaves media that can be damaged
 * behind the JVM's back (files, disks). A block that fails is answered {@link ReadResult.Outcome#CORRUPT},
 * removed by the tier and counted in its stats; it is never served.
 *
 * <p>Thread-safety: all methods may be called concurrently.
 *
 * <p>Lifecycle: {@link #close()} is idempotent; every other method throws {@link IllegalStateException} after
 * it. Handles returned before close stay valid until closed themselves.
 */
public interface Tier extends AutoCloseable {

    /** Short name used in configs, metrics and logs, e.g. {@code "dram"}. */
    String name();

    /** Capacity in bytes. */
    long capacityBytes();

    /** Bytes in use, counted as {@link #footprint} of each stored block. */
    long usedBytes();

    /** Number of blocks stored. */
    long blockCount();

    /**
     * Bytes a payload of {@code length} bytes occupies in this tier (page rounding, headers). The policy weighs
     * each block with this value.
     */
    default long footprint(int length) {
        return Math.max(1, length);
    }

    /**
     * Stores a block, copying the payload (position to limit; the buffer's position is not changed). The caller
     * keeps ownership of {@code payload}.
     *
     * @return {@link PutOutcome#STORED}, {@link PutOutcome#ALREADY_PRESENT} (nothing changed),
     *         {@link PutOutcome#NO_CAPACITY}, {@link PutOutcome#TOO_LARGE} or {@link PutOutcome#FAILED}
     * @throws IllegalArgumentException if {@code payload.remaining() != meta.length()}
     */
    PutOutcome put(BlockMeta meta, ByteBuffer payload);

    /**
     * Optional capability: sets memory aside for the block {@code meta} describes, for the caller to write the
     * payload into in place (a network door receiving it) and then {@link TierReservation#commit commit} it, so
     * that the bytes are not copied from a finished buffer as {@link #put} does. The memory counts against the
     * capacity from now on; the block is invisible until committed. Outcomes as for {@link #put}: STORED (with a
     * reservation), NO_CAPACITY, TOO_LARGE, ALREADY_PRESENT (a committed block has that key) or FAILED.
     * Like {@link #put}, it must not wait for other writers.
     *
     * @throws UnsupportedOperationException if {@link #reservesInPlace()} is false (the default)
     */
    default TierReservation.Attempt reserve(BlockMeta meta) {
        throw new UnsupportedOperationException("tier " + name() + " does not reserve memory in place");
    }

    /** True if this tier implements {@link #reserve}. Default false. */
    default boolean reservesInPlace() {
        return false;
    }

    /**
     * Backpressure for writers, outside the store's lock: the store calls this on every tier before it takes its
     * lock for a put (and so before any demotion that put causes). A tier that needs writers to slow down, e.g.
     * until a compaction has reclaimed deleted bytes, waits here, where no reader is held up. {@link #put} itself
     * must not wait for such reasons (it may run under the store's lock); it refuses instead. Default: returns at
     * once.
     */
    default void awaitWritable() {
    }

    /**
     * True if {@link #awaitWritable} would return at once now: a writer that must not wait (an event loop) asks this
     * first and leaves the write to a thread that may wait when it is false. A tier that overrides {@code
     * awaitWritable} overrides this too. Default: true.
     */
    default boolean writableWithoutWaiting() {
        return true;
    }

    /**
     * Reads a block. On {@link ReadResult.Outcome#HIT} the caller owns the returned handle and must close it.
     */
    ReadResult read(BlockKey key);

    /**
     * Reads several blocks at once, in the order given; tiers with a batched read (RocksDB MultiGet) override
     * it. The caller owns every returned handle.
     */
    default List<ReadResult> readAll(List<BlockKey> keys) {
        List<ReadResult> out = new ArrayList<>(keys.size());
        for (BlockKey k : keys) {
            out.add(read(k));
        }
        return out;
    }

    /** Metadata of a stored block, without touching its payload. */
    Optional<BlockMeta> meta(BlockKey key);

    /** True if the block is stored. */
    default boolean contains(BlockKey key) {
        return meta(key).isPresent();
    }

    /**
     * {@link #contains}, answered in order with the tier's own drops ({@link TierDropListener#claimDrop}): a block whose
     * drop the listener agreed to before this call is not found. A store that makes a new record of a block it found in
     * the tier's index asks this once the record is in place, so that either the drop sees the record or this sees the
     * drop. Default: {@link #contains} (a tier that drops blocks on its own without claiming them answers no better).
     */
    default boolean confirm(BlockKey key) {
        return contains(key);
    }

    /**
     * Removes a block. Readers holding handles keep their bytes until they close them; the space counts as free
     * for accounting at once. Returns false if the block was not stored.
     */
    boolean remove(BlockKey key);

    /** Visits the metadata of every stored block (at open, to rebuild the store's directory and policy). */
    void forEach(Consumer<BlockMeta> visitor);

    /** True if the tier keeps payload bytes; false in metadata-only (simulation) mode. */
    default boolean storesPayloads() {
        return true;
    }

    /**
     * True if other processes write to and delete from this tier as well (a shared remote tier), so that its
     * contents change behind the store's back: the store then looks blocks up in it on a directory miss, treats a
     * miss at the level its directory recorded as "gone", and copies (rather than moves) blocks promoted out of it.
     */
    default boolean shared() {
        return false;
    }

    /**
     * True if what the tier acknowledged, puts and removes alike, survives a crash of the process (the daemon then
     * answers a PUT with {@code ACK_PERSISTED} durable). Whether it also survives a power loss is the tier's own
     * setting to document. False unless the tier says so.
     */
    default boolean durable() {
        return false;
    }

    /**
     * True if the tier makes room for a put on its own, dropping blocks it chooses (each reported to its {@link
     * #dropListener drop listener}, which keeps pinned and leased ones): a put then never answers NO_CAPACITY for lack
     * of room, {@link #usedBytes} may pass {@link #capacityBytes} by what the tier is still reclaiming, and the store
     * leaves eviction at that level to the tier (its policy, {@code TierManagedPolicy}, tracks nothing). The NVMe tier
     * does so when configured to (its segment reclaim). Default false.
     */
    default boolean evictsItself() {
        return false;
    }

    /**
     * True if the tier's memory ends with the process by design (the emulated HBM): on a clean stop the daemon moves
     * its blocks into the level below, so that a restart finds them instead of a gap in their prefixes.
     */
    default boolean drainedAtExit() {
        return false;
    }

    /**
     * The tier's payloads as files other processes on this host may map (a file-backed DRAM arena), if it offers
     * them; empty by default.
     */
    default Optional<SharedMemoryExport> sharedMemory() {
        return Optional.empty();
    }

    /**
     * Registers the store's listener for blocks this tier drops on its own (see {@link TierDropListener}); the
     * store calls it once, at open, before any other call. Tiers that only ever remove what the store tells them
     * to ignore it (the default).
     */
    default void dropListener(TierDropListener listener) {
    }

    /** A snapshot of the tier's counters. */
    TierStats stats();

    /** Releases the tier's resources; idempotent. */
    @Override
    void close();
}
