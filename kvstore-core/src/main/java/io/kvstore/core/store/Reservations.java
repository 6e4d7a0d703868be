package io.kvstore.core.store;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.TierReservation;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Puts received in place ({@link PutReservation}): the level and the tier memory a new block is written into, and
 * its publication or abort. Admission and room go through {@link Mover#write} exactly as for a put, and publication
 * through {@link Mover#published}, so a reserved block enters and leaves the levels by the same steps as any other;
 * what differs is only that the tier's memory is taken first and filled by the caller. A level that cannot give
 * memory in place ends the search: the block is then staged in a pooled buffer and {@link Mover#admit admitted}
 * from that level at publish.
 */
final class Reservations {

    private static final long STAGING_IDLE_BYTES = 64L << 20;

    private final Mover mover;
    private final Directory directory;
    private final List<Level> levels;
    /** Staging memory of reservations whose level has no in-place memory. */
    private final StagingBuffers staging = new StagingBuffers(STAGING_IDLE_BYTES);

    Reservations(Mover mover, Directory directory, List<Level> levels) {
        this.mover = mover;
        this.directory = directory;
        this.levels = levels;
    }

    /** What {@link #find} found: memory at {@code level}, or a level to stage for, or a refusal. */
    record Reserved(PutStatus status, Level level, TierReservation memory, int fallback) {
    }

    /**
     * A reservation for {@code fresh} (claimed in the directory and entered once by the caller), or a refused one;
     * on a refusal the caller's turn on the entry is over and the key is free again.
     */
    PutReservation reserve(Entry fresh, PutReservation.Checksum checksum, int firstLevel) {
        return reserve(fresh, checksum, firstLevel, true);
    }

    /**
     * {@link #reserve}; with {@code mayWait} false, null (the key free again, nothing reserved) where it would
     * have to wait for the policy's lock or for room.
     */
    PutReservation reserve(Entry fresh, PutReservation.Checksum checksum, int firstLevel, boolean mayWait) {
        Reserved r = find(fresh, firstLevel, mayWait);
        if (r == null) {
            return null;
        }
        if (r.status() != PutStatus.STORED) {
            return PutReservation.refused(new PutResult(r.status(), null));
        }
        try {
            return new PutReservation(this, fresh, r, checksum);
        } catch (RuntimeException | Error e) { // no staging memory: give everything back
            if (r.memory() != null) {
                abort(r.level(), fresh, r.memory());
            } else {
                abortStaged(fresh, null);
            }
            throw e;
        }
    }

    /**
     * Where {@code fresh}'s block will be written in place: the memory of the first level that accepts writes,
     * admits it and {@link io.kvstore.core.tier.Tier#reservesInPlace reserves in place}, with room made there as for
     * a put, from level {@code firstLevel} down. A level without the capability ends the search ({@code fallback} is
     * its index). Null if {@code mayWait} is false and it would have to wait.
     */
    private Reserved find(Entry fresh, int firstLevel, boolean mayWait) {
        PutStatus worst = null;
        boolean kept = false;
        try {
            for (Level level : levels.subList(firstLevel, levels.size())) {
                if (!level.spec.acceptsWrites()) {
                    continue;
                }
                if (!level.tier.reservesInPlace() || !level.tier.storesPayloads() || level.tier.shared()) {
                    kept = true;
                    return new Reserved(PutStatus.STORED, null, null, level.index);
                }
                if (!mayWait && !mover.writesWithoutWaiting(level)) {
                    return null;
                }
                TierReservation[] got = new TierReservation[1];
                PutStatus s = mover.write(level, fresh, () -> {
                    TierReservation.Attempt a = level.tier.reserve(fresh.meta);
                    got[0] = a.reservation();
                    return a.outcome();
                }, mayWait);
                if (s == null) {
                    return null;
                }
                if (s == PutStatus.STORED) {
                    kept = true;
                    return new Reserved(PutStatus.STORED, level, got[0], -1);
                }
                worst = mover.refused(level, fresh.meta, s, worst);
            }
        } finally {
            if (!kept) {
                fresh.remove();
                directory.exit(fresh);
            }
        }
        return new Reserved(worst == null ? PutStatus.NO_CAPACITY : worst, null, null, -1);
    }

    /** Staging memory for a block of {@code length} bytes (a level without in-place memory). */
    ByteBuffer stage(int length) {
        return staging.take(length);
    }

    /**
     * Commits a filled reservation and publishes the block as a put does; or undoes everything if the tier will
     * not commit. Ends the caller's turn on the entry.
     */
    PutResult publish(Level level, Entry fresh, TierReservation memory) {
        boolean stored = false;
        try {
            BlockKey key = fresh.meta.key();
            PutOutcome o = memory.commit(fresh.meta);
            if (o == PutOutcome.ALREADY_PRESENT && !level.tier.shared()) {
                level.tier.remove(key); // a copy the directory does not know (left over by a crash): replace it
                o = memory.commit(fresh.meta);
            }
            if (o != PutOutcome.STORED) {
                return new PutResult(PutStatus.FAILED, null);
            }
            stored = true;
            return mover.published(level, fresh);
        } finally {
            if (!stored) {
                abort(level, fresh, memory);
            } else {
                directory.exit(fresh);
            }
        }
    }

    /** Puts a staged block from level {@code fallback} down, as a put would; gives the staging memory back. */
    PutResult publishStaged(Entry fresh, ByteBuffer memory, int fallback) {
        try {
            return mover.admit(fresh, memory.duplicate().limit(fresh.meta.length()).position(0), fallback);
        } finally {
            staging.give(memory);
        }
    }

    /** Gives a reservation's memory and policy weight back and frees the key; ends the caller's turn. */
    void abort(Level level, Entry fresh, TierReservation memory) {
        try {
            memory.abort();
            level.gate.onRemove(fresh.meta.key());
        } finally {
            fresh.remove();
            directory.exit(fresh);
        }
    }

    /** Frees a staged reservation's key and memory (null: none taken yet); ends the caller's turn. */
    void abortStaged(Entry fresh, ByteBuffer memory) {
        try {
            fresh.remove();
            directory.exit(fresh);
        } finally {
            if (memory != null) {
                staging.give(memory);
            }
        }
    }
}
