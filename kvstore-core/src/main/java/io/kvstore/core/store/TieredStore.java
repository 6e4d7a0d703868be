package io.kvstore.core.store;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.policy.Candidate;
import io.kvstore.policy.EvictionPolicy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The engine: a content-addressed prefix-block store over an ordered list of tiers (index 0 is the top, e.g.
 * HBM, then DRAM, then NVMe).
 *
 * <h2>How the pieces fit</h2>
 * A block lives in exactly one tier at a time (exclusive caching), recorded in the {@code directory}: key to
 * level, metadata, pin count and lease. The directory answers LOOKUP without touching any tier, so a lookup is a
 * few hash probes. Each level pairs a {@link Tier} (bytes) with an {@link EvictionPolicy} (decisions). A put
 * goes to the first level that accepts writes and whose policy admits it; if that level would pass its high
 * watermark, its policy names victims until it would be back under its low watermark, and each victim is
 * demoted one level down (written there first, then removed above, so it is readable from some tier at every
 * moment) or, from the last level, dropped. A hit in a lower level is promoted into the nearest level above it
 * that takes promotions. Pinned and leased blocks are never chosen as victims.
 *
 * <h2>Concurrency</h2>
 * One lock guards the directory, the policies and every move between tiers. Reads of payloads happen outside
 * the lock: a get finds the level under the lock, reads the tier without it, and retries if a concurrent move
 * took the block away in between; the tier's ref-counted handle keeps the bytes alive until the reader is done.
 * Writes and moves copy payloads under the lock, which serializes writers; that is the price of a simple,
 * provably consistent directory, and the first thing to split if writers contend.
 *
 * <h2>Namespaces</h2>
 * Keys are opaque, but every block records its namespace id: a get, lookup, pin or delete from another
 * namespace sees a miss, and a put of a key that exists under another namespace is refused, so one tenant can
 * neither read nor overwrite another's blocks even if it knows the keys.
 *
 * <h2>Shared tiers</h2>
 * A tier whose {@link Tier#shared()} is true (a remote tier many daemons use) changes behind the store's back, so
 * the directory is not the whole truth about it: a get or lookup that misses the directory asks the shared tiers
 * (outside the lock), and a get hit there is promoted into the local tiers without being recorded at the shared
 * level; a miss at the shared level the directory recorded drops the stale entry; a promotion out of a shared
 * tier copies (the other daemons keep finding the block); storing a block a shared tier already holds counts as
 * stored; and the directory is not rebuilt from a shared tier at open. The directory's entries at a shared level
 * are thus the blocks this store wrote there, bounded by that tier's capacity.
 *
 * <h2>Simulation</h2>
 * With {@code MetadataOnlyTier}s the same code replays traces: sizes are accounted, no bytes are stored, and
 * the clock is injected.
 */
public final class TieredStore implements AutoCloseable {

    private static final int GET_RETRIES = 4;

    private final List<Level> levels;
    private final boolean anyShared;
    private final NanoClock clock;
    private final StoreEventListener listener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<BlockKey, Entry> directory = new HashMap<>();
    private final LongAdder listenerErrors = new LongAdder();
    private volatile boolean closed;

    private TieredStore(List<TierSpec> specs, NanoClock clock, StoreEventListener listener) {
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("a store needs at least one tier");
        }
        if (specs.stream().noneMatch(TierSpec::acceptsWrites)) {
            throw new IllegalArgumentException("at least one tier must accept writes");
        }
        List<Level> ls = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            ls.add(new Level(i, specs.get(i)));
        }
        this.levels = List.copyOf(ls);
        this.anyShared = ls.stream().anyMatch(l -> l.tier.shared());
        this.clock = Objects.requireNonNull(clock, "clock");
        this.listener = Objects.requireNonNull(listener, "listener");
        rebuild();
    }

    /** A builder; tiers are added top first. */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------------------------------------- operations

    /**
     * Stores a block in the first tier that accepts writes and admits it, evicting or demoting as needed. The
     * payload is copied; the caller keeps ownership of the buffer. The payload is verified against the metadata's
     * length and CRC32C first unless {@code trustChecksum} is true (the caller already verified it).
     */
    public PutResult put(BlockMeta meta, ByteBuffer payload, boolean trustChecksum) {
        return put(meta, payload, trustChecksum, false);
    }

    /**
     * {@link #put(BlockMeta, ByteBuffer, boolean)} for a block that may be a request's trailing partial block
     * (fewer tokens than a full block). Only the trace simulator produces such blocks; the flag is passed to the
     * policies ({@link Candidate#partial()}), which may refuse them, and follows the block when it moves.
     */
    public PutResult put(BlockMeta meta, ByteBuffer payload, boolean trustChecksum, boolean partial) {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(payload, "payload");
        if (!trustChecksum && levels.get(0).tier.storesPayloads() && !Checksums.matches(meta, payload)) {
            return new PutResult(PutStatus.BAD_CHECKSUM, null);
        }
        for (Level level : levels) {
            level.tier.awaitWritable(); // a tier's backpressure holds up this writer, not the store's readers
        }
        lock.lock();
        try {
            checkOpen();
            Entry existing = directory.get(meta.key());
            if (existing != null) {
                return existing.meta.namespaceId() == meta.namespaceId()
                        ? new PutResult(PutStatus.ALREADY_PRESENT, levels.get(existing.level).name())
                        : new PutResult(PutStatus.NAMESPACE_CONFLICT, null);
            }
            PutStatus worst = null;
            for (Level level : levels) {
                if (!level.spec.acceptsWrites()) {
                    continue;
                }
                PutStatus s = insert(level, meta, payload, partial);
                if (s == PutStatus.STORED) {
                    directory.put(meta.key(), new Entry(meta, level.index, clock.nanoTime(), partial));
                    level.admitted.increment();
                    emit(StoreEvent.Type.ADMITTED, meta, level, null, level.policy.name());
                    return new PutResult(PutStatus.STORED, level.name());
                }
                if (s == PutStatus.REJECTED) {
                    level.rejected.increment();
                    emit(StoreEvent.Type.REJECTED, meta, level, null, level.policy.name());
                }
                worst = worst == null || s.ordinal() < worst.ordinal() ? s : worst;
            }
            return new PutResult(worst == null ? PutStatus.NO_CAPACITY : worst, null);
        } finally {
            lock.unlock();
        }
    }

    /** {@link #put(BlockMeta, ByteBuffer, boolean)} with checksum verification. */
    public PutResult put(BlockMeta meta, ByteBuffer payload) {
        return put(meta, payload, false);
    }

    /**
     * The longest cached prefix of {@code keys} in namespace {@code namespaceId}: counts leading keys that are
     * cached, stopping at the first miss. With {@code leaseNanos > 0} the hit blocks may not be evicted until the
     * lease ends, so that a GET that follows finds them. A lookup does not count as an access for the policies;
     * the get that follows does. Blocks found only in a shared tier count as cached but are not leased (other
     * daemons and the shared tier's own eviction decide how long they stay).
     */
    public LookupResult lookup(long namespaceId, List<BlockKey> keys, long leaseNanos) {
        long until;
        List<String> tiers;
        lock.lock();
        try {
            checkOpen();
            until = leaseNanos > 0 ? clock.nanoTime() + leaseNanos : 0;
            tiers = directoryPrefix(namespaceId, keys, 0, until);
        } finally {
            lock.unlock();
        }
        // the prefix may continue in a shared tier (asked outside the lock), then in the directory again
        while (tiers.size() < keys.size() && hasSharedLevel()) {
            Level shared = sharedLevelHolding(namespaceId, keys.get(tiers.size()));
            if (shared == null) {
                break;
            }
            tiers.add(shared.name());
            lock.lock();
            try {
                checkOpen();
                tiers.addAll(directoryPrefix(namespaceId, keys, tiers.size(), until));
            } finally {
                lock.unlock();
            }
        }
        return new LookupResult(tiers.size(), tiers, until);
    }

    /** Tiers of the keys from {@code from} on that the directory knows, up to the first it does not. Under lock. */
    private List<String> directoryPrefix(long namespaceId, List<BlockKey> keys, int from, long until) {
        List<String> tiers = new ArrayList<>();
        for (int i = from; i < keys.size(); i++) {
            Entry e = directory.get(keys.get(i));
            if (e == null || e.meta.namespaceId() != namespaceId) {
                break;
            }
            tiers.add(levels.get(e.level).name());
            if (until > 0) {
                e.leaseUntilNanos = Math.max(e.leaseUntilNanos, until);
            }
        }
        return tiers;
    }

    /**
     * Reads a block. On a hit the caller owns the returned handle and must close it. A hit below the top may
     * promote the block (see {@link TierSpec#takesPromotions()}); the handle stays valid regardless. A block that
     * fails its checksum is dropped, counted, and answered as a miss.
     */
    public GetResult get(long namespaceId, BlockKey key) {
        for (int attempt = 0; attempt < GET_RETRIES; attempt++) {
            Entry e;
            Level level;
            lock.lock();
            try {
                checkOpen();
                e = directory.get(key);
                if (e != null && e.meta.namespaceId() != namespaceId) {
                    return GetResult.MISS;
                }
                level = e == null ? null : levels.get(e.level);
            } finally {
                lock.unlock();
            }
            if (e == null) {
                return hasSharedLevel() ? getShared(namespaceId, key) : GetResult.MISS;
            }
            ReadResult r = level.tier.read(key);
            switch (r.outcome()) {
                case HIT -> {
                    try {
                        afterHit(key, e, level, r.handle());
                    } catch (RuntimeException | Error ex) {
                        r.handle().close();
                        throw ex;
                    }
                    return new GetResult(r.handle(), level.name());
                }
                case CORRUPT -> {
                    dropCorrupt(key, e, level);
                    return GetResult.MISS;
                }
                case MISS -> {
                    if (level.tier.shared()) {
                        forgetVanished(key, e, level); // evicted or deleted by another daemon or by the tier itself
                        return GetResult.MISS;
                    }
                    // moved by a concurrent demotion or promotion, or deleted: look again
                }
            }
        }
        return GetResult.MISS;
    }

    /** True if the block is cached in this namespace. Does not count as an access. */
    public boolean contains(long namespaceId, BlockKey key) {
        lock.lock();
        try {
            checkOpen();
            Entry e = directory.get(key);
            if (e != null || !hasSharedLevel()) {
                return e != null && e.meta.namespaceId() == namespaceId;
            }
        } finally {
            lock.unlock();
        }
        return sharedLevelHolding(namespaceId, key) != null;
    }

    /** Removes a block (even a pinned one) from the store. */
    public PinStatus delete(long namespaceId, BlockKey key) {
        return onEntry(namespaceId, key, e -> delete(e, key));
    }

    private PinStatus delete(Entry e, BlockKey key) {
        Level level = levels.get(e.level);
        directory.remove(key);
        level.policy.onRemove(key);
        level.tier.remove(key);
        emit(StoreEvent.Type.DELETED, e.meta, level, null, null);
        return PinStatus.DELETED;
    }

    /**
     * Removes a block unless it is pinned, in one step (an operator's eviction must not race a pin): DELETED,
     * PINNED if it is pinned (and was kept), or NOT_FOUND.
     */
    public PinStatus deleteUnpinned(long namespaceId, BlockKey key) {
        return onEntry(namespaceId, key, e -> e.pins > 0 ? PinStatus.PINNED : delete(e, key));
    }

    /** Pins a block: it stays in its tier, never evicted, until unpinned as many times. */
    public PinStatus pin(long namespaceId, BlockKey key) {
        return onEntry(namespaceId, key, e -> {
            e.pins++;
            return PinStatus.PINNED;
        });
    }

    /** Releases one pin. */
    public PinStatus unpin(long namespaceId, BlockKey key) {
        return onEntry(namespaceId, key, e -> {
            if (e.pins == 0) {
                return PinStatus.NOT_PINNED;
            }
            e.pins--;
            return PinStatus.UNPINNED;
        });
    }

    /** Runs {@code action} under the lock on the block's entry, or answers NOT_FOUND if another namespace owns it. */
    private PinStatus onEntry(long namespaceId, BlockKey key, java.util.function.Function<Entry, PinStatus> action) {
        lock.lock();
        try {
            checkOpen();
            Entry e = directory.get(key);
            if (e == null || e.meta.namespaceId() != namespaceId) {
                return PinStatus.NOT_FOUND;
            }
            return action.apply(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves a block cached in a lower tier up into the nearest tier above that takes promotions (a prefetch
     * after a lookup). Returns the tier that holds it afterwards, or null if it is not cached in this namespace.
     */
    public String promote(long namespaceId, BlockKey key) {
        GetResult r = get(namespaceId, key);
        if (!r.isHit()) {
            return null;
        }
        r.handle().close();
        lock.lock();
        try {
            Entry e = directory.get(key);
            return e == null ? null : levels.get(e.level).name();
        } finally {
            lock.unlock();
        }
    }

    /** What the store knows about one block, or null if it is not cached. Any namespace. */
    public BlockInfo info(BlockKey key) {
        lock.lock();
        try {
            checkOpen();
            Entry e = directory.get(key);
            return e == null ? null : e.info(levels.get(e.level).name(), clock.nanoTime());
        } finally {
            lock.unlock();
        }
    }

    /**
     * A snapshot of up to {@code limit} cached blocks that match {@code filter}, in no particular order. Holds
     * the lock while it scans; for admin use.
     */
    public List<BlockInfo> blocks(Predicate<BlockInfo> filter, int limit) {
        lock.lock();
        try {
            checkOpen();
            long now = clock.nanoTime();
            List<BlockInfo> out = new ArrayList<>();
            for (Entry e : directory.values()) {
                if (out.size() >= limit) {
                    break;
                }
                BlockInfo info = e.info(levels.get(e.level).name(), now);
                if (filter.test(info)) {
                    out.add(info);
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Number of blocks cached in all tiers. */
    public int size() {
        lock.lock();
        try {
            return directory.size();
        } finally {
            lock.unlock();
        }
    }

    /** Store-level counters of each tier, top first. */
    public List<LevelStats> stats() {
        List<LevelStats> out = new ArrayList<>(levels.size());
        for (Level l : levels) {
            out.add(l.snapshot());
        }
        return out;
    }

    /** Names of the tiers, top first. */
    public List<String> tierNames() {
        List<String> out = new ArrayList<>(levels.size());
        levels.forEach(l -> out.add(l.name()));
        return out;
    }

    /** The tiers, top first (for admin and tests; the store owns them). */
    public List<Tier> tiers() {
        List<Tier> out = new ArrayList<>(levels.size());
        levels.forEach(l -> out.add(l.tier));
        return Collections.unmodifiableList(out);
    }

    /** Exceptions thrown by the event listener (caught so they cannot break the store). */
    public long listenerErrors() {
        return listenerErrors.sum();
    }

    /** The store's clock. */
    public NanoClock clock() {
        return clock;
    }

    /** Closes every tier, bottom first; idempotent. Handles already handed out stay valid until closed. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            directory.clear();
        } finally {
            lock.unlock();
        }
        RuntimeException first = null;
        for (int i = levels.size() - 1; i >= 0; i--) {
            try {
                levels.get(i).tier.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    // ------------------------------------------------------------------------------------------------ internals

    /** Places a block into one level, making room first. Called under the lock. */
    private PutStatus insert(Level level, BlockMeta meta, ByteBuffer payload, boolean partial) {
        long fp = level.tier.footprint(meta.length());
        if (fp > level.tier.capacityBytes()) {
            return PutStatus.TOO_LARGE;
        }
        BlockKey key = meta.key();
        if (!level.policy.admit(new Candidate<>(key, meta.parent(), meta.position(), fp, partial))) {
            return PutStatus.REJECTED;
        }
        makeRoom(level, fp, key);
        PutOutcome o = level.tier.put(meta, payload);
        if (o == PutOutcome.ALREADY_PRESENT && level.tier.shared()) {
            o = PutOutcome.STORED; // another daemon (or an earlier promotion, which copies) left it there
        } else if (o == PutOutcome.ALREADY_PRESENT) {
            // the tier holds a copy the directory does not know (left over by a crash): replace it
            level.tier.remove(key);
            o = level.tier.put(meta, payload);
        }
        if (o == PutOutcome.STORED) {
            return PutStatus.STORED;
        }
        level.policy.onRemove(key);
        return switch (o) {
            case NO_CAPACITY -> PutStatus.NO_CAPACITY;
            case TOO_LARGE -> PutStatus.TOO_LARGE;
            default -> PutStatus.FAILED;
        };
    }

    /** Evicts from {@code level} until a block of {@code incoming} bytes fits under the low watermark. */
    private void makeRoom(Level level, long incoming, BlockKey incomingKey) {
        long used = level.tier.usedBytes();
        if (used + incoming <= level.highBytes) {
            return;
        }
        long toFree = used + incoming - level.lowBytes;
        long now = clock.nanoTime();
        List<BlockKey> victims = level.policy.evict(toFree, k -> !k.equals(incomingKey) && evictable(k, now));
        for (BlockKey v : victims) {
            demoteOrDrop(level, v);
        }
    }

    private boolean evictable(BlockKey key, long now) {
        Entry e = directory.get(key);
        return e == null || (e.pins == 0 && !e.moving && e.leaseUntilNanos <= now);
    }

    /** Moves a victim one level down, or drops it from the store. The policy has already untracked it. */
    private void demoteOrDrop(Level from, BlockKey key) {
        Entry e = directory.get(key);
        if (e == null || e.level != from.index) {
            from.tier.remove(key); // the policy knew a block the directory did not: keep the tier consistent
            return;
        }
        from.evictedBytes.add(from.tier.footprint(e.meta.length()));
        Level to = from.index + 1 < levels.size() ? levels.get(from.index + 1) : null;
        boolean moved = false;
        if (to != null) {
            ReadResult r = from.tier.read(key);
            if (r.isHit()) {
                try (BlockHandle h = r.handle()) {
                    moved = insert(to, e.meta, h.payload(), e.partial) == PutStatus.STORED;
                }
            } else if (r.outcome() == ReadResult.Outcome.CORRUPT) {
                from.corrupt.increment();
                emit(StoreEvent.Type.CORRUPT, e.meta, from, null, null);
            }
        }
        from.tier.remove(key);
        if (moved) {
            e.level = to.index;
            from.demotedOut.increment();
            to.demotedIn.increment();
            emit(StoreEvent.Type.DEMOTED, e.meta, from, to, from.policy.name());
        } else {
            directory.remove(key);
            from.evicted.increment();
            emit(StoreEvent.Type.EVICTED, e.meta, from, null, from.policy.name());
        }
    }

    private void afterHit(BlockKey key, Entry seen, Level level, BlockHandle handle) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            Entry e = directory.get(key);
            if (e != seen || e.level != level.index) {
                return; // moved or replaced meanwhile; the handle still holds the bytes that were read
            }
            e.hits++;
            e.lastAccessNanos = clock.nanoTime();
            level.hits.increment();
            level.policy.onHit(key);
            emit(StoreEvent.Type.HIT, e.meta, level, null, null);
            Level target = promotionTarget(level);
            if (target == null) {
                return;
            }
            e.moving = true; // a cascade of demotions caused by this promotion must not pick the block itself
            boolean stored;
            try {
                stored = insert(target, e.meta, handle.payload(), e.partial) == PutStatus.STORED;
            } finally {
                e.moving = false;
            }
            if (stored) {
                level.policy.onRemove(key);
                if (!level.tier.shared()) {
                    level.tier.remove(key);
                }
                e.level = target.index;
                target.promotedIn.increment();
                emit(StoreEvent.Type.PROMOTED, e.meta, level, target, null);
            }
        } finally {
            lock.unlock();
        }
    }

    private Level promotionTarget(Level hitLevel) {
        for (int i = hitLevel.index - 1; i >= 0; i--) {
            if (levels.get(i).spec.takesPromotions()) {
                return levels.get(i);
            }
        }
        return null;
    }

    private boolean hasSharedLevel() {
        return anyShared;
    }

    /** The first shared level that holds {@code key} in this namespace, asked without the lock; null if none. */
    private Level sharedLevelHolding(long namespaceId, BlockKey key) {
        for (Level l : levels) {
            if (l.tier.shared() && l.tier.meta(key).filter(m -> m.namespaceId() == namespaceId).isPresent()) {
                return l;
            }
        }
        return null;
    }

    /**
     * A get the directory could not answer: reads the shared tiers, top first, and promotes a hit into the local
     * tier above (a copy; nothing is recorded at the shared level). Runs the remote reads without the lock.
     */
    private GetResult getShared(long namespaceId, BlockKey key) {
        for (Level level : levels) {
            if (!level.tier.shared()) {
                continue;
            }
            ReadResult r = level.tier.read(key);
            if (r.outcome() == ReadResult.Outcome.CORRUPT) {
                level.corrupt.increment(); // the tier dropped it; no directory entry to fix
                continue;
            }
            if (!r.isHit()) {
                continue;
            }
            BlockHandle h = r.handle();
            if (h.meta().namespaceId() != namespaceId) {
                h.close();
                return GetResult.MISS;
            }
            try {
                adoptShared(level, h);
            } catch (RuntimeException | Error ex) {
                h.close();
                throw ex;
            }
            return new GetResult(h, level.name());
        }
        return GetResult.MISS;
    }

    private void adoptShared(Level level, BlockHandle handle) {
        BlockMeta meta = handle.meta();
        lock.lock();
        try {
            checkOpen();
            level.hits.increment();
            emit(StoreEvent.Type.HIT, meta, level, null, null);
            Level target = promotionTarget(level);
            if (target == null || directory.containsKey(meta.key())) {
                return; // nowhere to promote to, or a concurrent put or get already placed it
            }
            if (insert(target, meta, handle.payload(), false) == PutStatus.STORED) {
                Entry e = new Entry(meta, target.index, clock.nanoTime(), false);
                e.hits = 1;
                directory.put(meta.key(), e);
                target.promotedIn.increment();
                emit(StoreEvent.Type.PROMOTED, meta, level, target, null);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Drops a directory entry whose block a shared tier no longer has. */
    private void forgetVanished(BlockKey key, Entry seen, Level level) {
        lock.lock();
        try {
            if (!closed && untrackIfUnmoved(key, seen, level)) {
                level.evicted.increment();
                emit(StoreEvent.Type.EVICTED, seen.meta, level, null, "shared-tier");
            }
        } finally {
            lock.unlock();
        }
    }

    private void dropCorrupt(BlockKey key, Entry seen, Level level) {
        lock.lock();
        try {
            level.corrupt.increment();
            emit(StoreEvent.Type.CORRUPT, seen.meta, level, null, null);
            if (!closed && untrackIfUnmoved(key, seen, level)) {
                level.tier.remove(key);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Removes {@code seen} from the directory and its policy if it is still the entry at {@code level}. Locked. */
    private boolean untrackIfUnmoved(BlockKey key, Entry seen, Level level) {
        Entry e = directory.get(key);
        if (e != seen || e.level != level.index) {
            return false;
        }
        directory.remove(key);
        level.policy.onRemove(key);
        return true;
    }

    /** Loads the directory and the policies from what the tiers already hold (persistent tiers, restarts). */
    private void rebuild() {
        long now = clock.nanoTime();
        for (Level level : levels) {
            if (level.tier.shared()) {
                continue; // found on demand; importing a cluster-wide index would make the directory unbounded
            }
            List<BlockMeta> found = new ArrayList<>();
            level.tier.forEach(found::add);
            found.sort((a, b) -> Integer.compare(a.position(), b.position()));
            for (BlockMeta m : found) {
                boolean duplicate = directory.containsKey(m.key());
                boolean admitted = !duplicate && level.policy.admit(new Candidate<>(m.key(), m.parent(), m.position(),
                        level.tier.footprint(m.length()), false));
                if (admitted) {
                    directory.put(m.key(), new Entry(m, level.index, now, false));
                } else {
                    level.tier.remove(m.key()); // an upper tier already has it, or the policy will not keep it
                }
            }
        }
        for (Level level : levels) {
            if (level.tier.usedBytes() > level.highBytes) {
                makeRoom(level, 0, null);
            }
        }
    }

    private void emit(StoreEvent.Type type, BlockMeta meta, Level tier, Level to, String policy) {
        try {
            listener.onEvent(new StoreEvent(type, meta, tier.name(), to == null ? null : to.name(), policy,
                    clock.nanoTime()));
        } catch (RuntimeException ex) {
            listenerErrors.increment();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new TierClosedException("store");
        }
    }

    /** A directory entry. Mutable fields change only under the lock. */
    private static final class Entry {
        final BlockMeta meta;
        final boolean partial;
        int level;
        int pins;
        boolean moving;
        long leaseUntilNanos;
        long hits;
        long lastAccessNanos;

        Entry(BlockMeta meta, int level, long now, boolean partial) {
            this.meta = meta;
            this.partial = partial;
            this.level = level;
            this.lastAccessNanos = now;
        }

        BlockInfo info(String tier, long now) {
            return new BlockInfo(meta, tier, pins, leaseUntilNanos > now, hits, lastAccessNanos);
        }
    }

    /** One tier with its policy, watermarks in bytes and counters. */
    private static final class Level {
        final int index;
        final TierSpec spec;
        final Tier tier;
        final EvictionPolicy<BlockKey> policy;
        final long highBytes;
        final long lowBytes;
        final LongAdder hits = new LongAdder();
        final LongAdder admitted = new LongAdder();
        final LongAdder rejected = new LongAdder();
        final LongAdder demotedIn = new LongAdder();
        final LongAdder demotedOut = new LongAdder();
        final LongAdder evicted = new LongAdder();
        final LongAdder evictedBytes = new LongAdder();
        final LongAdder promotedIn = new LongAdder();
        final LongAdder corrupt = new LongAdder();

        Level(int index, TierSpec spec) {
            this.index = index;
            this.spec = spec;
            this.tier = spec.tier();
            this.policy = spec.policy();
            long cap = tier.capacityBytes();
            this.highBytes = (long) Math.floor(cap * spec.highWatermark());
            this.lowBytes = (long) Math.floor(cap * spec.lowWatermark());
        }

        String name() {
            return tier.name();
        }

        LevelStats snapshot() {
            return new LevelStats(tier.stats(), policy.name(), hits.sum(), admitted.sum(), rejected.sum(),
                    demotedIn.sum(), demotedOut.sum(), evicted.sum(), evictedBytes.sum(), promotedIn.sum(),
                    corrupt.sum());
        }
    }

    /** Builds a {@link TieredStore}. */
    public static final class Builder {
        private final List<TierSpec> specs = new ArrayList<>();
        private NanoClock clock = NanoClock.system();
        private StoreEventListener listener = StoreEventListener.NONE;

        /** Adds the next level down. */
        public Builder tier(TierSpec spec) {
            specs.add(Objects.requireNonNull(spec));
            return this;
        }

        /** The clock for leases and event times; the system clock by default. */
        public Builder clock(NanoClock clock) {
            this.clock = clock;
            return this;
        }

        /** Receives every store event; none by default. */
        public Builder listener(StoreEventListener listener) {
            this.listener = listener;
            return this;
        }

        /** Applies a change to this builder (for helpers that configure several things). */
        public Builder with(Consumer<Builder> change) {
            change.accept(this);
            return this;
        }

        /** Builds the store and rebuilds its directory from what the tiers hold. */
        public TieredStore build() {
            return new TieredStore(specs, clock, listener);
        }
    }
}
