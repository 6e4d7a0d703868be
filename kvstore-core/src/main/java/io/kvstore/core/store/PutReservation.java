package io.kvstore.core.store;

import io.kvstore.core.block.BlockMeta;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * A put in three steps, so that a door receives a block's bytes straight into the memory they will live in:
 * {@link TieredStore#reserve reserve} (admission and room, as a put), fill {@link #buffer()}, then {@link #publish()}
 * or {@link #abort()}. Until it is published the block is invisible to LOOKUP, GET and EXISTS, and its key is
 * claimed: a put of the same key meanwhile answers ALREADY_PRESENT, a delete answers NOT_FOUND (and the block
 * published afterwards is the one the store keeps, as if the delete had come first).
 *
 * <p>Where the bytes go: when the first level that admits the block {@link io.kvstore.core.tier.Tier#reservesInPlace
 * reserves in place} (DRAM, HBM), {@link #buffer()} is that tier's memory ({@link #inPlace()}); otherwise it is a
 * pooled staging buffer that {@link #publish()} puts like {@link TieredStore#put} would. Doors have one code path
 * either way.
 *
 * <p>Checksums ({@link Checksum}): the CRC32C is computed over the bytes as they arrive when the door reports them
 * with {@link #filled(int)} (while they are still in the CPU's cache), and over whatever is left at publish.
 *
 * <p>Ownership: one thread at a time (a door fills on its event loop and publishes on the blocking pool; the executor
 * hand-off orders the two). Every reservation that is not published must be aborted ({@link #close()} does it):
 * an open one holds tier memory and its key.
 */
public final class PutReservation implements AutoCloseable {

    /** What {@link #publish()} does with the block's CRC32C. */
    public enum Checksum {
        /** Verify the bytes against the metadata's CRC32C; a mismatch is BAD_CHECKSUM and nothing is stored. */
        VERIFY,
        /** Compute the CRC32C from the bytes (the metadata's is ignored) and store the block under it. */
        COMPUTE,
        /** The caller vouches for the metadata's CRC32C; nothing is computed. */
        TRUST
    }

    private enum State { OPEN, PUBLISHED, ABORTED }

    private final PutResult refusal;
    private final Reservations owner;
    private final Entry fresh;
    private final Reservations.Reserved where;
    private final ByteBuffer memory;
    private final Checksum mode;
    private final CRC32C crc;
    private final int length;
    private int checked;
    private State state;

    private PutReservation(PutResult refusal) {
        this.refusal = refusal;
        this.owner = null;
        this.fresh = null;
        this.where = null;
        this.memory = null;
        this.mode = Checksum.TRUST;
        this.crc = null;
        this.length = 0;
        this.state = State.ABORTED;
    }

    PutReservation(Reservations owner, Entry fresh, Reservations.Reserved where, Checksum mode) {
        this.refusal = null;
        this.owner = owner;
        this.fresh = fresh;
        this.where = where;
        this.memory = where.memory() != null ? where.memory().buffer() : owner.stage(fresh.meta.length());
        this.mode = mode;
        this.crc = mode == Checksum.TRUST ? null : new CRC32C();
        this.length = fresh.meta.length();
        this.state = State.OPEN;
    }

    /** A reservation that was refused: {@code result} says why (and, for ALREADY_PRESENT, where the block is). */
    static PutReservation refused(PutResult result) {
        return new PutReservation(result);
    }

    /** Null if the reservation was granted; else what a put would have answered (nothing to fill or abort). */
    public PutResult refusal() {
        return refusal;
    }

    /** True while the reservation may be filled and published or aborted. */
    public boolean isOpen() {
        return state == State.OPEN;
    }

    /** True if {@link #buffer()} is the memory of the tier the block will live in (no copy at publish). */
    public boolean inPlace() {
        return where != null && where.memory() != null;
    }

    /** The name of the tier whose memory {@link #buffer()} is ({@link #inPlace()}), or null for staging memory. */
    public String tier() {
        return inPlace() ? where.level().name() : null;
    }

    /** The block's metadata as reserved. */
    public BlockMeta meta() {
        return fresh.meta;
    }

    /**
     * Where the payload goes: a new view (position 0, limit and capacity the block's length, writable) of the
     * reserved memory each call. Valid until publish or abort; do not use it after.
     */
    public ByteBuffer buffer() {
        checkOpen();
        return memory.duplicate().limit(length).position(0);
    }

    /**
     * The first {@code bytes} bytes of {@link #buffer()} are written: checksums those not checksummed yet (while
     * they are cache-hot). Optional; {@link #publish()} checksums whatever is left.
     */
    public void filled(int bytes) {
        checkOpen();
        if (bytes < checked || bytes > length) {
            throw new IllegalArgumentException("filled " + bytes + " bytes of " + length + ", after "
                    + checked);
        }
        if (crc != null && bytes > checked) {
            crc.update(memory.duplicate().limit(bytes).position(checked));
        }
        checked = bytes;
    }

    /**
     * Publishes the block (checksum per {@link Checksum}) and ends the reservation. BAD_CHECKSUM: the bytes did not
     * match and nothing was stored (the space is given back, the key is free). STORED: the block is readable now,
     * exactly as after {@link TieredStore#put}. Other outcomes come from the staged put of a level without
     * in-place memory.
     *
     * @throws IllegalStateException if the reservation was refused, published or aborted
     */
    public PutResult publish() {
        checkOpen();
        BlockMeta meta = fresh.meta;
        if (crc != null) {
            filled(length);
            int value = (int) crc.getValue();
            if (mode == Checksum.VERIFY && value != meta.crc32c()) {
                abort();
                return new PutResult(PutStatus.BAD_CHECKSUM, null);
            }
            if (mode == Checksum.COMPUTE) {
                fresh.checksummed(value);
            }
        }
        state = State.PUBLISHED;
        return inPlace() ? owner.publish(where.level(), fresh, where.memory())
                : owner.publishStaged(fresh, memory, where.fallback());
    }

    /** Gives the space back and frees the key; the store is as if the reservation had not been made. Idempotent. */
    public void abort() {
        if (state != State.OPEN) {
            return;
        }
        state = State.ABORTED;
        if (inPlace()) {
            owner.abort(where.level(), fresh, where.memory());
        } else {
            owner.abortStaged(fresh, memory);
        }
    }

    /** Aborts unless published. */
    @Override
    public void close() {
        abort();
    }

    private void checkOpen() {
        if (state != State.OPEN) {
            throw new IllegalStateException(refusal != null ? "the reservation was refused: " + refusal.status()
                    : "the reservation is " + state.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Override
    public String toString() {
        return refusal != null ? "PutReservation[refused " + refusal.status() + "]"
                : "PutReservation[" + fresh.meta.key().shortHex() + ", " + fresh.meta.length() + " bytes, "
                + (inPlace() ? "in " + where.level().name() : "staged") + ", " + state + "]";
    }
}
