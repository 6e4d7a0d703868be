package io.kvstore.server.door;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.PinStatus;
import io.kvstore.core.store.PutReservation;
import io.kvstore.core.store.PutResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TieredStore;
import io.kvstore.server.admin.ServerMetrics;
import io.kvstore.server.auth.TenantQuotas;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.function.Predicate;

/**
 * Values under opaque names (a Redis key, an LMCache key string) stored as blocks of the {@link TieredStore}: the
 * foreign doors' one way into the engine.
 *
 * <p>A name becomes a block key as {@code SHA-256(root(namespace) || name bytes)}, with the namespace root as its
 * parent and position 0, so a named value is a one-block chain: it goes through the same tiers, policies, CRC32C
 * checks and tenant quotas as every other block, and shows in {@code /metrics} and {@code /v1/blocks} like one.
 * A door's namespace is {@code Namespace("door:<door>", bytes layout, tenant, salt, "")}: the tenant comes from the
 * session's token, the salt from the door (Redis's SELECT), so two tenants or two databases never see each other's
 * names. Block keys are content-free here, so a name that is set again is deleted first, then stored (a reader in
 * between sees a miss, never a mix; of two sets that race, one value stays, as if they had come one after the other).
 *
 * <p>Thread-safe; {@link #put}, {@link #delete} and {@link #flush} may do I/O in lower tiers and belong off the
 * event loops, {@link #exists}, {@link #length} and a {@link #get} of a block in an in-memory tier do not.
 */
public final class NamedValues {

    private static final Logger LOG = LoggerFactory.getLogger(NamedValues.class);
    /** The layout of a door's namespace: opaque bytes. */
    private static final KvLayout BYTES = new KvLayout("bytes", 1, 1, 1, 1);
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    });

    /**
     * One namespace of names: what a session reads and writes.
     *
     * @param namespace the engine namespace
     * @param id        {@code namespace.id()}
     * @param root      {@code namespace.root()}: the parent of every block and the salt of every key
     * @param layoutId  {@code namespace.layoutId()}
     */
    public record Space(Namespace namespace, long id, BlockKey root, int layoutId) {

        /** The tenant whose quota the values count against. */
        public String tenant() {
            return namespace.tenant();
        }
    }

    /** What a {@link #put} did. */
    public enum Stored {
        /** The value is stored (any earlier value under the name is gone). */
        STORED,
        /** A condition (only if absent / only if present) was not met; nothing changed. */
        CONDITION_NOT_MET,
        /** The tenant's quota would be exceeded; nothing changed but the old value under the name is gone. */
        QUOTA_EXCEEDED,
        /** No tier had room (everything evictable is pinned or leased). */
        NO_CAPACITY,
        /** The value is larger than every tier. */
        TOO_LARGE,
        /** Every tier's admission policy refused it. */
        REJECTED,
        /** A tier failed. */
        FAILED
    }

    /** Whether a put requires the name to be absent or present. */
    public enum Condition { ALWAYS, IF_ABSENT, IF_PRESENT }

    private final TieredStore store;
    private final TenantQuotas quotas;
    private final ServerMetrics metrics;

    public NamedValues(TieredStore store, TenantQuotas quotas, ServerMetrics metrics) {
        this.store = store;
        this.quotas = quotas;
        this.metrics = metrics;
    }

    /** The space of {@code door} for {@code tenant} and {@code salt}; registers it with the quotas. */
    public Space space(String door, String tenant, String salt) {
        Namespace ns = new Namespace("door:" + door, BYTES, tenant, salt, "");
        quotas.register(ns, store);
        return new Space(ns, ns.id(), ns.root(), ns.layoutId());
    }

    /** The block key of {@code name} in {@code space}. */
    public static BlockKey key(Space space, byte[] name) {
        MessageDigest d = SHA256.get();
        d.reset();
        d.update(space.root().toBytes());
        d.update(name);
        return BlockKey.of(d.digest());
    }

    /** The store behind the values. */
    public TieredStore store() {
        return store;
    }

    /**
     * Stores {@code value} (its bytes between position and limit; not consumed, the caller keeps it) under the name
     * whose {@link #key} is {@code key}, replacing what was there. Blocking: may do I/O in lower tiers.
     */
    public Stored put(Space space, BlockKey key, ByteBuffer value, Condition condition) {
        boolean present = store.contains(space.id(), key);
        if (condition == Condition.IF_ABSENT && present || condition == Condition.IF_PRESENT && !present) {
            return Stored.CONDITION_NOT_MET;
        }
        BlockMeta meta = new BlockMeta(key, space.root(), 0, space.id(), space.layoutId(), value.remaining(),
                Checksums.crc32c(value));
        if (present) {
            store.delete(space.id(), key); // its DELETED event gives its bytes back to the quota
        }
        if (!quotas.reserve(space.tenant(), meta.length())) {
            return Stored.QUOTA_EXCEEDED;
        }
        return stored(space, meta, store.put(meta, value.duplicate(), true));
    }

    /**
     * {@link #put} for a thread that must not wait (an event loop): the same, where it needs no I/O, no contended
     * lock and no wait for room: no shared tier, the name's old value (if any) only in tiers {@code here} accepts,
     * and room at once in the first tier that takes the value ({@link TieredStore#tryReserve}: its victims, if any,
     * go to the demotion threads). The value is copied into the tier's memory and checksummed on the way in. Null
     * where it cannot be done here, or is refused: then call {@link #put} from a thread that may wait, which completes
     * the set or answers why not (the old value may already be deleted, as {@code put} itself deletes it first). A
     * condition that the name be present is always left to {@code put} (after this call's delete it would no longer
     * hold).
     */
    public Stored tryPut(Space space, BlockKey key, ByteBuffer value, Condition condition, Predicate<String> here) {
        if (condition == Condition.IF_PRESENT || store.hasSharedTier()) {
            return null;
        }
        if (store.contains(space.id(), key)) {
            if (condition == Condition.IF_ABSENT) {
                return Stored.CONDITION_NOT_MET;
            }
            if (store.tryDelete(space.id(), key, here) == null) { // its DELETED event gives the quota back
                return null;
            }
        }
        Reserved now = reserve(space, key, value.remaining(), false);
        PutReservation r = now == null ? null : now.reservation();
        if (r == null) { // it would wait, or it was refused (quota, room, admission): put() says why
            return null;
        }
        if (!r.inPlace()) { // staged: its publish is a put that may wait for room
            abort(space, r);
            return null;
        }
        boolean published = false;
        try {
            r.buffer().put(value.duplicate());
            Stored st = publish(space, r);
            published = true;
            return st;
        } finally {
            if (!published) {
                abort(space, r);
            }
        }
    }

    /** A store put's result as a named value's; gives back the quota of a value that was not stored. */
    private Stored stored(Space space, BlockMeta meta, PutResult r) {
        if (r.status() != PutStatus.STORED) {
            quotas.release(space.tenant(), meta.length());
        }
        return switch (r.status()) {
            // ALREADY_PRESENT: another set of the same name stored its value after our delete; ours is ordered just
            // before it (and replaced by it), as if the two had come one after the other
            case STORED, ALREADY_PRESENT -> Stored.STORED;
            case REJECTED -> Stored.REJECTED;
            case NO_CAPACITY -> Stored.NO_CAPACITY;
            case TOO_LARGE -> Stored.TOO_LARGE;
            default -> {
                LOG.warn("storing a value of {} bytes in namespace {}: the store answered {}", meta.length(),
                        space.namespace().idHex(), r.status());
                yield Stored.FAILED;
            }
        };
    }

    /**
     * Memory for a new value of {@code length} bytes under the name whose key is {@code key}, for a door that
     * receives the value straight into it ({@link PutReservation}; its CRC32C is computed from the bytes as they
     * arrive). Null when the name holds a value or is being set (the door then sets it with {@link #put} after the
     * requests before it, so the last set wins), or when the store or the tenant's quota refuses it ({@link #put}
     * then says why). The quota counts the value from now on; {@link #publish} or {@link #abort} settles it.
     * Blocking: admission may move other blocks down to lower tiers.
     */
    public PutReservation reserve(Space space, BlockKey key, int length) {
        return reserve(space, key, length, true).reservation();
    }

    /**
     * What {@link #tryReserve} answered without waiting: the reservation {@link #reserve} would have given (null
     * if none).
     */
    public record Reserved(PutReservation reservation) {
    }

    /**
     * {@link #reserve} for a thread that must not wait (an event loop): its answer where it can be given at once
     * ({@code TieredStore.tryReserve}), else null, with nothing reserved: then call {@link #reserve} where waiting is
     * allowed.
     */
    public Reserved tryReserve(Space space, BlockKey key, int length) {
        return reserve(space, key, length, false);
    }

    private Reserved reserve(Space space, BlockKey key, int length, boolean mayWait) {
        if (store.contains(space.id(), key) || !quotas.reserve(space.tenant(), length)) {
            return new Reserved(null);
        }
        BlockMeta meta = new BlockMeta(key, space.root(), 0, space.id(), space.layoutId(), length, 0);
        PutReservation r;
        try {
            r = mayWait ? store.reserve(meta, PutReservation.Checksum.COMPUTE)
                    : store.tryReserve(meta, PutReservation.Checksum.COMPUTE);
        } catch (RuntimeException | Error e) {
            quotas.release(space.tenant(), length);
            throw e;
        }
        if (r == null || r.refusal() != null) {
            quotas.release(space.tenant(), length);
            return r == null ? null : new Reserved(null);
        }
        return new Reserved(r);
    }

    /** Publishes a value received into a {@link #reserve reservation}: what {@link #put} would have answered. */
    public Stored publish(Space space, PutReservation r) {
        PutResult res;
        try {
            res = r.publish();
        } catch (RuntimeException | Error e) {
            quotas.release(space.tenant(), r.meta().length());
            throw e;
        }
        return stored(space, r.meta(), res);
    }

    /** Gives a reservation that will not be published back (a client gone mid-value); idempotent. */
    public void abort(Space space, PutReservation r) {
        if (r.isOpen()) {
            r.abort();
            quotas.release(space.tenant(), r.meta().length());
        }
    }

    /**
     * The value under the name whose key is {@code key}, or null. The caller owns the handle and must close it. Counted in the
     * {@code kvstore_hits_total} / {@code kvstore_misses_total} metrics. I/O if the block is in a lower tier.
     */
    public BlockHandle get(Space space, BlockKey key) {
        GetResult g = store.get(space.id(), key);
        if (!g.isHit()) {
            metrics.missed(space.id());
            return null;
        }
        metrics.served(g.tier(), space.id(), g.handle().meta().length());
        return g.handle();
    }

    /** True if a value is stored under {@code name}. Directory only (no I/O without a shared tier). */
    public boolean exists(Space space, BlockKey key) {
        return store.contains(space.id(), key);
    }

    /**
     * The tier that holds the block {@code k} whatever its namespace, or null: where a read would go, for deciding
     * which thread runs it. Directory only.
     */
    public String tierHolding(BlockKey k) {
        BlockInfo info = store.info(k);
        return info == null ? null : info.tier();
    }

    /** The length of the value under {@code name}, or -1. Directory only. */
    public long length(Space space, BlockKey k) {
        BlockInfo info = store.contains(space.id(), k) ? store.info(k) : null;
        return info == null ? -1 : info.meta().length();
    }

    /** Removes the value under {@code name}; true if there was one. Blocking. */
    public boolean delete(Space space, BlockKey key) {
        return store.delete(space.id(), key) == PinStatus.DELETED;
    }

    /** How many values the space holds (a scan of the directory). */
    public long count(Space space) {
        return blocks(space).size();
    }

    /** Removes every value of the space; returns how many. Blocking. */
    public long flush(Space space) {
        long n = 0;
        for (BlockInfo b : blocks(space)) {
            if (store.delete(space.id(), b.meta().key()) == PinStatus.DELETED) {
                n++;
            }
        }
        return n;
    }

    private List<BlockInfo> blocks(Space space) {
        long id = space.id();
        return store.blocks(b -> b.meta().namespaceId() == id, Integer.MAX_VALUE);
    }

    /** A name as UTF-8 bytes. */
    public static byte[] name(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
