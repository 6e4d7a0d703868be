package io.kvstore.core.store;

import io.kvstore.core.block.Checksums;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.RootKeys;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.policy.Candidate;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The engine: a content-addressed prefix-block store over an ordered list of tiers (index 0 is the top, e.g.
 * HBM, then DRAM, then NVMe). This class is the facade; the pieces are:
 *
 * <ul>
 *   <li>{@link Directory}: key to {@link Entry}, a {@code KeyedTable} (lock-free reads). An entry records which
 *       levels hold a copy of the block, its pins and its lease. LOOKUP, EXISTS and the locate step of GET read it without a lock.</li>
 *   <li>{@link Level}: a tier, its watermarks, its counters and a {@link PolicyGate}, the one way into the level's
 *       single-threaded {@link io.kvstore.policy.EvictionPolicy}: a short per-level lock for writers (admit,
 *       evict, remove; in-memory work only), a lossy buffer for readers' hits (they never wait for it).</li>
 *   <li>{@link Mover}: writes and moves. A put or a move reserves room in the target (admission and victim choice
 *       in one step under the target's gate), copies with no lock held (reads, O_DIRECT writes, network), then
 *       publishes the new copy on the entry in one step and releases the source. Each writer makes room for
 *       itself, so writers do not queue behind each other's copies and readers never wait for any of them; with
 *       a demoter ({@link TieredStoreBuilder#demoter}) the victims are moved by demoter tasks while the writer writes its own
 *       block into the level's headroom.</li>
 *   <li>{@link Reads}: gets, one block or a run of blocks read together from one level.</li>
 *   <li>{@link Promoter}: hits copied up; {@link TierDrops}: blocks a tier drops on its own; {@link SharedTiers}:
 *       a tier other daemons write too; {@link Recovery}: the directory rebuilt at open; {@link StoreEvents}.</li>
 *   <li>{@link ColdLevel}: a last level that evicts itself and keeps its own index (NVMe with {@code
 *       nvmePolicy=tier}). A block whose only copy is there and that nothing holds leaves the directory, the tier's
 *       index being its record (the flash caches' way: metadata in full only for what is in memory); an operation that
 *       misses the directory asks the tier and, if it holds the block, claims a new entry for it and goes on.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * A block is readable from some level at every moment until it is deliberately dropped (a move writes the target
 * before it releases the source; a reader that finds the source gone looks again). Pinned and leased blocks are
 * never chosen as victims, and a block pinned while its move was in flight keeps its copy. A tier never holds more
 * than its capacity (the tier refuses a write that does not fit; the policy's count, which includes blocks being
 * written, decides evictions, so a level can be over its high watermark only by the writes in flight).
 *
 * <h2>Copies</h2>
 * Puts and demotions keep one copy (exclusive). A promotion out of a level that keeps promoted copies (NVMe, the
 * shared tier) leaves the lower copy in place, so the block is clean above and demoting it again writes nothing:
 * flash is written once per block, not once per promotion. Out of such a level hits are promoted only as far as
 * the copies promoted earn hits above ({@link PromotionYield}); whether a promotion is admitted is the upper
 * level's policy's decision; promotions run on the {@code promotions} executor, never in a reader.
 *
 * <h2>Namespaces</h2>
 * Keys are opaque, but every block records its namespace id: a get, lookup, pin or delete from another
 * namespace sees a miss, and a put of a key that exists under another namespace is refused.
 *
 * <h2>Simulation</h2>
 * With {@code MetadataOnlyTier}s and the calling thread as the promotion executor, the same code replays traces
 * deterministically: sizes are accounted, no bytes are stored, and the clock is injected.
 */
public final class TieredStore implements AutoCloseable {

    private final List<Level> levels;
    private final NanoClock clock;
    private final Directory directory = new Directory();
    private final RootKeys roots = new RootKeys();
    private final StoreEvents events;
    private final Mover mover;
    private final Promoter promoter;
    private final Reads reads;
    private final SharedTiers shared;
    private final Reservations reservations;
    private final ColdLevel cold;
    /** Forgets idle entries of blocks left only on the cold level, about once a second; null without one. */
    private final ScheduledExecutorService sweeper;
    private final long orphansDropped;
    private volatile boolean closed;

    TieredStore(List<TierSpec> specs, NanoClock clock, StoreEventListener listener, Executor promotions,
                        Executor demoter, int maxDemoters, boolean forgetCold, java.time.Duration coldSweepInterval) {
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("a store needs at least one tier");
        }
        if (specs.stream().noneMatch(TierSpec::acceptsWrites)) {
            throw new IllegalArgumentException("at least one tier must accept writes");
        }
        if (specs.size() > Entry.MAX_LEVELS) {
            throw new IllegalArgumentException("at most " + Entry.MAX_LEVELS + " tiers, got " + specs.size());
        }
        List<Level> ls = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            ls.add(new Level(i, specs.get(i)));
        }
        this.levels = List.copyOf(ls);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.events = new StoreEvents(Objects.requireNonNull(listener, "listener"), clock);
        this.cold = ColdLevel.of(directory, levels, this.clock, forgetCold);
        this.mover = new Mover(directory, levels, clock, events, demoter, maxDemoters, cold);
        this.reservations = new Reservations(mover, directory, levels);
        this.promoter = new Promoter(directory, levels, events, mover,
                Objects.requireNonNull(promotions, "promotions"));
        this.shared = new SharedTiers(directory, levels, mover, promoter, events, clock);
        this.reads = new Reads(directory, levels, clock, events, mover, promoter, shared, cold, this::checkOpen);
        this.orphansDropped = Recovery.rebuild(directory, levels, mover, clock, shared.any(), cold);
        for (Level l : levels) {
            l.tier.dropListener(new TierDrops(l, directory, mover, clock, cold, events));
        }
        this.sweeper = cold.any() && !coldSweepInterval.isZero() ? startSweeper(cold, coldSweepInterval) : null;
    }

    /** A builder; tiers are added top first. */
    public static TieredStoreBuilder builder() {
        return new TieredStoreBuilder();
    }

    // ---------------------------------------------------------------------------------------------- operations

    /**
     * Stores a block in the first tier that accepts writes and admits it, evicting or demoting as needed (no
     * store-wide lock; see {@link Mover}). The payload is copied and verified against the metadata's CRC32C first
     * unless {@code trustChecksum} (the caller already verified it).
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
            level.tier.awaitWritable(); // a tier's backpressure holds up this writer, no one else
        }
        Entry fresh = newEntry(meta, partial);
        PutResult taken = claim(fresh);
        return taken != null ? taken : mover.admit(fresh, payload);
    }

    /**
     * Claims {@code fresh}'s key for a new block (entered once for the caller); or, if the key is cached, what a
     * put answers: ALREADY_PRESENT (with its tier) or NAMESPACE_CONFLICT.
     */
    private PutResult claim(Entry fresh) {
        checkOpen();
        fresh.enter();
        return claimed(fresh, directory.claim(fresh));
    }

    /**
     * Null if {@code fresh} claimed its key and no copy of the block is on the cold level (where a block the directory
     * forgot lives on), else what a put answers for the {@code existing} entry or the cold copy; a claim given up
     * for a cold copy ends the caller's turn on {@code fresh}.
     */
    private PutResult claimed(Entry fresh, Entry existing) {
        BlockMeta meta = fresh.meta;
        if (existing == null) {
            BlockMeta there = cold.present(meta.key()); // asked after the claim: a block forgotten meanwhile is seen
            if (there == null) {
                return null;
            }
            fresh.remove();
            directory.exit(fresh);
            return there.namespaceId() != meta.namespaceId() ? new PutResult(PutStatus.NAMESPACE_CONFLICT, null)
                    : new PutResult(PutStatus.ALREADY_PRESENT, cold.name());
        }
        if (existing.meta.namespaceId() != meta.namespaceId()) {
            return new PutResult(PutStatus.NAMESPACE_CONFLICT, null);
        }
        int top = existing.top();
        return new PutResult(PutStatus.ALREADY_PRESENT, top < 0 ? null : levels.get(top).name());
    }

    /**
     * Sets memory aside for a block whose payload the caller will write in place: admission and room-making happen
     * now, in the first level that accepts writes and admits it, exactly as for {@link #put}; the block becomes
     * readable at {@link PutReservation#publish()}. A refused reservation ({@link PutReservation#refusal()}) answers
     * what a put would have (ALREADY_PRESENT, NAMESPACE_CONFLICT, REJECTED, NO_CAPACITY, TOO_LARGE, FAILED).
     * The caller must publish or abort every granted one. May do I/O (the demotions room-making causes, a tier's
     * backpressure): not on an event loop.
     */
    public PutReservation reserve(BlockMeta meta, PutReservation.Checksum checksum) {
        return reserve(meta, checksum, levels.get(0).name());
    }

    /**
     * {@link #reserve(BlockMeta, PutReservation.Checksum)} starting at the level of tier {@code tierName}: the levels
     * above it are passed over, so the block lands there or below (a same-host client writing into the shared DRAM
     * arena reserves there, under an HBM level). Whether the memory is that tier's is {@link PutReservation#tier()}.
     *
     * @throws IllegalArgumentException if no level has that name
     */
    public PutReservation reserve(BlockMeta meta, PutReservation.Checksum checksum, String tierName) {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(checksum, "checksum");
        Level first = levels.stream().filter(l -> l.name().equals(tierName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no tier named '" + tierName + "'"));
        for (Level level : levels) {
            level.tier.awaitWritable();
        }
        Entry fresh = newEntry(meta, false);
        PutResult taken = claim(fresh);
        return taken != null ? PutReservation.refused(taken) : reservations.reserve(fresh, checksum, first.index);
    }

    /**
     * {@link #reserve(BlockMeta, PutReservation.Checksum)} for a thread that must not wait (an event loop): the
     * same reservation, or refusal, where it can be made at once, without I/O, a contended lock or a wait for room
     * (the first level that takes the block has room, or its victims go to the demoters); null where it cannot, with
     * nothing reserved and the key free: the caller then calls {@code reserve} from a thread that may wait.
     */
    public PutReservation tryReserve(BlockMeta meta, PutReservation.Checksum checksum) {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(checksum, "checksum");
        checkOpen();
        if (hasSharedTier()) {
            return null; // a put also asks the other daemons' shared tier: network I/O
        }
        for (Level level : levels) {
            if (!level.tier.writableWithoutWaiting()) {
                return null;
            }
        }
        Entry fresh = newEntry(meta, false);
        fresh.enter();
        Entry existing = directory.tryClaim(fresh);
        if (existing == fresh) {
            return null;
        }
        PutResult taken = claimed(fresh, existing);
        return taken != null ? PutReservation.refused(taken) : reservations.reserve(fresh, checksum, 0, false);
    }

    /**
     * A new entry for {@code meta}, whose parent key is the very object of the parent's own entry when the parent is
     * cached: the key a client sends as a block's parent is a copy of the key it sent for the parent, and a chain of
     * blocks then holds one key object per block instead of two (48 bytes of heap each). A chain's first block gets
     * its namespace's one root object ({@link RootKeys}). A parent only the cold level holds lends the key object of
     * the tier's record.
     */
    private Entry newEntry(BlockMeta meta, boolean partial) {
        Entry parent = directory.get(meta.parent());
        BlockMeta coldParent = parent == null && meta.position() > 0 ? cold.present(meta.parent()) : null;
        BlockKey shared = parent != null ? parent.meta.key()
                : coldParent != null ? coldParent.key()
                : meta.position() == 0 ? roots.intern(meta.namespaceId(), meta.parent()) : null;
        if (shared != null && shared != meta.parent()) {
            meta = meta.withParent(shared);
        }
        return new Entry(meta, partial, clock.nanoTime());
    }

    /** {@link #put(BlockMeta, ByteBuffer, boolean)} with checksum verification. */
    public PutResult put(BlockMeta meta, ByteBuffer payload) {
        return put(meta, payload, false);
    }

    /**
     * The longest cached prefix of {@code keys} in namespace {@code namespaceId}: counts leading keys that are
     * cached, stopping at the first miss. With {@code leaseNanos > 0} the hit blocks may not be evicted until the
     * lease ends, so that a GET that follows finds them. A lookup does not count as an access for the policies;
     * the get that follows does. Lock-free and I/O-free unless the store has a shared tier ({@link
     * #hasSharedTier()}): blocks found only there count as cached but are not leased, and asking for them is
     * network I/O.
     */
    public LookupResult lookup(long namespaceId, List<BlockKey> keys, long leaseNanos) {
        checkOpen();
        long until = leaseNanos > 0 ? clock.nanoTime() + leaseNanos : 0;
        List<String> tiers = new ArrayList<>(keys.size());
        directory.prefix(namespaceId, keys, 0, until, this::levelName, tiers);
        // the prefix may continue on the cold level or in a shared tier, then in the directory again
        while (tiers.size() < keys.size()) {
            BlockKey next = keys.get(tiers.size());
            String tier = coldLookup(namespaceId, next, until);
            if (tier == null && shared.any()) {
                Level holder = shared.holding(namespaceId, next);
                tier = holder == null ? null : holder.name();
            }
            if (tier == null) {
                break;
            }
            tiers.add(tier);
            checkOpen();
            directory.prefix(namespaceId, keys, tiers.size(), until, this::levelName, tiers);
        }
        return new LookupResult(tiers.size(), tiers, until);
    }

    /**
     * The tier of a block the directory did not answer for ({@link Directory#prefix} stopped at it) if its copy is on
     * the cold level, or null. With a lease ({@code until > 0}) the block gets an entry again ({@link
     * ColdLevel#resolve}) that carries the lease; without one the tier's index answers alone.
     */
    private String coldLookup(long ns, BlockKey key, long until) {
        if (!cold.any()) {
            return null;
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            Entry e = until > 0 ? cold.resolve(ns, key) : directory.live(key);
            if (e == null) {
                return until > 0 || cold.held(ns, key) == null ? null : cold.name();
            }
            if (e.meta.namespaceId() != ns) {
                return null;
            }
            int top = until > 0 ? e.leaseAndTop(until) : e.top();
            if (top >= 0) {
                return levelName(top);
            }
            if (!e.forgotten()) {
                return null; // being written or removed
            }
        }
        return null;
    }

    /**
     * The metadata of a block cached in namespace {@code ns}: its entry's if it has one, else the cold level's if the
     * block lives on there; null if it is not cached. Lock-free, no I/O.
     */
    private BlockMeta cachedMeta(long ns, BlockKey key) {
        Entry e = directory.live(key);
        if (e != null) {
            return e.meta.namespaceId() == ns && e.top() >= 0 ? e.meta : null;
        }
        return cold.held(ns, key);
    }

    /**
     * Reads a block. On a hit the caller owns the returned handle and must close it. Never waits for a move or a
     * policy: a hit is recorded in the level's hit buffer, and a promotion it earns runs on the promotions
     * executor (the handle stays valid regardless). A block that fails its checksum is dropped, counted, and
     * answered as a miss (or read from another copy). Reads of tiers that are not in memory are I/O: callers on an
     * event loop ask only for blocks {@link #lookup} placed in memory.
     */
    public GetResult get(long namespaceId, BlockKey key) {
        return reads.get(namespaceId, key, null);
    }

    /**
     * {@link #get}, but only from a level whose name {@code readableHere} accepts (an event loop: the in-memory
     * tiers): if the block's copy is elsewhere (moved down since a lookup placed it in memory, or only in a shared
     * tier), nothing is read and {@link GetResult#ELSEWHERE} is returned, so that the caller reads it with {@link
     * #get} on a thread that may wait for I/O. A miss is still {@link GetResult#isHit() not a hit}.
     */
    public GetResult getIf(long namespaceId, BlockKey key, Predicate<String> readableHere) {
        return reads.get(namespaceId, key, Objects.requireNonNull(readableHere, "readableHere"));
    }

    /**
     * {@link #get} of each key, in order, but the blocks whose copies are at the same level are read together
     * ({@link Tier#readAll}: an NVMe tier keeps several reads in flight), so that a prefix streamed out of a lower
     * tier does not pay one device round trip per block. The caller owns every handle.
     */
    public List<GetResult> getAll(long namespaceId, List<BlockKey> keys) {
        checkOpen();
        return reads.getAll(namespaceId, keys);
    }

    /**
     * The payload length of a block this store records as cached in this namespace, or -1 (not recorded, or only in
     * a shared tier the directory has not seen it in). Does not count as an access; lock-free, no I/O: for sizing
     * reads before making them.
     */
    public long cachedLength(long namespaceId, BlockKey key) {
        checkOpen();
        BlockMeta m = cachedMeta(namespaceId, key);
        return m == null ? -1 : m.length();
    }

    /** True if the block is cached in this namespace. Does not count as an access. Lock-free, like lookup. */
    public boolean contains(long namespaceId, BlockKey key) {
        checkOpen();
        if (cachedMeta(namespaceId, key) != null) {
            return true;
        }
        return shared.any() && directory.get(key) == null && shared.holding(namespaceId, key) != null;
    }

    /** Removes a block (even a pinned one) from the store. */
    public PinStatus delete(long namespaceId, BlockKey key) {
        return onEntry(namespaceId, key, this::delete);
    }

    private PinStatus delete(Entry e) {
        return mover.delete(e, true);
    }

    /**
     * {@link #delete} for a thread that must not wait (an event loop): the same, where every copy of the block is in a
     * tier that {@code here} accepts and none is being moved (so no other tier's removal, and no I/O, is involved),
     * with the policies told without waiting for their locks; null where it is not, nothing changed: then call
     * {@code delete} from a thread that may wait. NOT_FOUND if the block is not cached in this namespace.
     */
    public PinStatus tryDelete(long namespaceId, BlockKey key, Predicate<String> here) {
        return onEntry(namespaceId, key, e -> onlyIn(e, here) ? mover.delete(e, false) : null);
    }

    /** True if every copy of {@code e} is at a level whose tier {@code here} accepts, and none is moving. */
    private boolean onlyIn(Entry e, Predicate<String> here) {
        int copies = e.residency();
        for (Level level : levels) {
            if ((copies & (1 << level.index)) != 0 && !here.test(level.name())) {
                return false;
            }
        }
        return !e.moving();
    }

    /**
     * Removes a block unless it is pinned: DELETED, PINNED if it is pinned (and was kept), or NOT_FOUND. A pin
     * that races the removal may arrive just after it; the block is then gone, as if the pin had come later.
     */
    public PinStatus deleteUnpinned(long namespaceId, BlockKey key) {
        return onEntry(namespaceId, key, e -> e.pins() > 0 ? PinStatus.PINNED : delete(e));
    }

    /** Pins a block: it stays in its tiers, never evicted, until unpinned as many times. */
    public PinStatus pin(long namespaceId, BlockKey key) {
        return onEntry(namespaceId, key, e -> e.pin() ? PinStatus.PINNED : PinStatus.NOT_FOUND);
    }

    /** Releases one pin. */
    public PinStatus unpin(long namespaceId, BlockKey key) {
        return onEntry(namespaceId, key, e -> e.unpin() ? PinStatus.UNPINNED : PinStatus.NOT_PINNED);
    }

    /**
     * Runs {@code action} on the block's entry (one made again for a block only the cold level holds), or answers
     * NOT_FOUND if it is not cached in this namespace. An entry forgotten under the action is resolved again.
     */
    private PinStatus onEntry(long namespaceId, BlockKey key, Function<Entry, PinStatus> action) {
        checkOpen();
        for (int attempt = 0; ; attempt++) {
            Entry e = cold.resolve(namespaceId, key);
            if (e == null || e.meta.namespaceId() != namespaceId || e.top() < 0) {
                return PinStatus.NOT_FOUND;
            }
            PinStatus s = action.apply(e);
            if (s != PinStatus.NOT_FOUND || !e.forgotten() || attempt >= 3) {
                return s;
            }
        }
    }

    /**
     * Moves a block cached in a lower tier up into the nearest tier above that takes promotions (a prefetch
     * after a lookup); the move runs on the promotions executor. Returns the tier that holds it on return, or null
     * if it is not cached in this namespace.
     */
    public String promote(long namespaceId, BlockKey key) {
        GetResult r = get(namespaceId, key);
        if (!r.isHit()) {
            return null;
        }
        r.handle().close();
        Entry e = directory.live(key);
        if (e == null) {
            return cold.held(namespaceId, key) == null ? null : cold.name();
        }
        int top = e.top();
        return top < 0 ? null : levels.get(top).name();
    }

    /**
     * Moves every block of tier {@code tierName} one level down (or drops it from the last level), as its policy
     * would evict it; pinned and leased blocks stay. For a clean shutdown of a tier whose memory does not outlive
     * the process (emulated HBM), so that a restart finds those blocks below instead of a gap in their prefixes.
     * Returns the number of blocks moved or dropped.
     */
    public long drain(String tierName) {
        checkOpen();
        for (Level level : levels) {
            if (level.name().equals(tierName)) {
                long before = level.demotedOut.sum() + level.evicted.sum() + level.copiesDropped.sum();
                mover.demoteQueued(level); // chosen already: the demoters would have moved them
                while (mover.evict(level, Long.MAX_VALUE, null)) {
                    // until nothing evictable is left
                }
                return level.demotedOut.sum() + level.evicted.sum() + level.copiesDropped.sum() - before;
            }
        }
        throw new IllegalArgumentException("no tier named '" + tierName + "'; tiers: " + tierNames());
    }

    /** What the store knows about one block, or null if it is not cached. Any namespace. */
    public BlockInfo info(BlockKey key) {
        checkOpen();
        Entry e = directory.live(key);
        if (e == null) {
            BlockMeta m = cold.present(key);
            return m == null ? null : forgottenInfo(m);
        }
        int top = e.top();
        return top < 0 ? null : e.info(levels.get(top).name(), clock.nanoTime());
    }

    /** What is known of a block only the cold level holds: where it is, nothing of its reads. */
    private BlockInfo forgottenInfo(BlockMeta m) {
        return new BlockInfo(m, cold.name(), 0, false, 0, 0);
    }

    /** A snapshot of up to {@code limit} cached blocks that match {@code filter}, in no particular order. */
    public List<BlockInfo> blocks(Predicate<BlockInfo> filter, int limit) {
        checkOpen();
        long now = clock.nanoTime();
        List<BlockInfo> out = directory.infos(filter, limit, this::levelName, now);
        if (out.size() < limit && cold.any()) {
            // then the cold level's blocks not listed yet: an entry forgotten meanwhile is listed once, and one made
            // again meanwhile is listed from its entry
            Set<BlockKey> listed = new HashSet<>();
            out.forEach(b -> listed.add(b.meta().key()));
            cold.forEachHeld(m -> {
                if (out.size() >= limit || listed.contains(m.key())) {
                    return;
                }
                Entry e = directory.live(m.key());
                int top = e == null ? -1 : e.top();
                if (e != null && top < 0) {
                    return; // being removed
                }
                BlockInfo info = e == null ? forgottenInfo(m) : e.info(levelName(top), now);
                if (filter.test(info)) {
                    out.add(info);
                }
            });
        }
        return out;
    }

    /**
     * Number of blocks cached in all tiers (a block with copies in two tiers counts once), those only the cold level
     * records included (while operations are in flight, an estimate).
     */
    public int size() {
        return (int) Math.min(Integer.MAX_VALUE, directory.size() + cold.forgottenCount());
    }

    /** Entries in the directory: every cached block but those only the cold level records ({@link ColdLevel}). */
    public int entries() {
        return directory.size();
    }

    /**
     * Forgets, now, the entries of blocks whose only copy is on the cold level and that nothing has held for a second
     * (the store's own thread does this every {@link TieredStoreBuilder#coldSweepInterval}); returns how many.
     */
    public int forgetIdle() {
        checkOpen();
        return cold.sweep();
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

    /**
     * True if a lookup, contains or get that misses the directory asks a shared tier, which is network I/O: a
     * server then answers those off its event loops.
     */
    public boolean hasSharedTier() {
        return shared.any();
    }

    /** Blocks dropped at open because their parent was cached nowhere. */
    public long orphansDropped() {
        return orphansDropped;
    }

    /** Exceptions thrown by the event listener (caught so they cannot break the store). */
    public long listenerErrors() {
        return events.errors();
    }

    /** The store's clock. */
    public NanoClock clock() {
        return clock;
    }

    /**
     * Closes every tier, bottom first; idempotent. Operations still running on other threads may fail with
     * {@link TierClosedException}. Handles already handed out stay valid until closed.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        mover.stop(TimeUnit.SECONDS.toNanos(5));
        directory.clear();
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

    private static ScheduledExecutorService startSweeper(ColdLevel cold, java.time.Duration interval) {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kvstore-cold-sweeper");
            t.setDaemon(true);
            return t;
        });
        s.scheduleWithFixedDelay(() -> {
            try {
                cold.sweep();
            } catch (RuntimeException e) {
                System.getLogger(TieredStore.class.getName()).log(System.Logger.Level.WARNING,
                        "forgetting idle cold entries failed", e);
            }
        }, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
        return s;
    }

    private String levelName(int index) {
        return levels.get(index).name();
    }

    private void checkOpen() {
        if (closed) {
            throw new TierClosedException("store");
        }
    }
}
