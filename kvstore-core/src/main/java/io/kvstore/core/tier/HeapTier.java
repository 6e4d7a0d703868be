package io.kvstore.core.tier;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;

import java.nio.ByteBuffer;

/**
 * A tier on the Java heap, for tests and as the simplest reference implementation of {@link Tier}. Each block
 * is a byte array; reads verify the checksum (cheap at test sizes) so that tests of corruption handling can
 * use it.
 */
public final class HeapTier extends AbstractMapTier<HeapTier.Entry> {

    record Entry(BlockMeta meta, byte[] bytes) {
    }

    public HeapTier(String name, long capacityBytes) {
        super(name, capacityBytes);
    }

    @Override
    BlockMeta metaOf(Entry entry) {
        return entry.meta();
    }

    @Override
    Entry newEntry(BlockMeta meta, ByteBuffer payload) {
        byte[] copy = new byte[meta.length()];
        payload.duplicate().get(copy);
        return new Entry(meta, copy);
    }

    @Override
    public ReadResult read(BlockKey key) {
        checkOpen();
        Entry e = entries.get(key);
        if (e == null) {
            misses.increment();
            return ReadResult.miss();
        }
        ByteBuffer view = ByteBuffer.wrap(e.bytes());
        if (!Checksums.matches(e.meta(), view)) {
            corrupt.increment();
            remove(key);
            return ReadResult.corrupt();
        }
        hits.increment();
        return ReadResult.hit(RefCountedHandle.create(e.meta(), view, null));
    }

    /** A heap array set aside; committing stores it as the block's bytes without a copy. */
    @Override
    public TierReservation.Attempt reserve(BlockMeta meta) {
        checkOpen();
        long fp = footprint(meta.length());
        if (fp > capacityBytes()) {
            return TierReservation.Attempt.refused(PutOutcome.TOO_LARGE);
        }
        if (entries.containsKey(meta.key())) {
            return TierReservation.Attempt.refused(PutOutcome.ALREADY_PRESENT);
        }
        if (!take(fp)) {
            return TierReservation.Attempt.refused(PutOutcome.NO_CAPACITY);
        }
        reservedBytes.addAndGet(fp);
        return new TierReservation.Attempt(PutOutcome.STORED, new Reserved(meta, fp));
    }

    @Override
    public boolean reservesInPlace() {
        return true;
    }

    /** Bytes set aside by reservations not yet committed or aborted. */
    public long reservedBytes() {
        return reservedBytes.get();
    }

    private final class Reserved extends ReservedBlock {
        private final long fp;
        private final byte[] bytes;

        Reserved(BlockMeta reserved, long fp) {
            this(reserved, fp, new byte[reserved.length()]);
        }

        private Reserved(BlockMeta reserved, long fp, byte[] bytes) {
            super(reserved, ByteBuffer.wrap(bytes));
            this.fp = fp;
            this.bytes = bytes;
        }

        @Override
        protected PutOutcome publish(BlockMeta meta) {
            checkOpen();
            if (entries.putIfAbsent(new Entry(meta, bytes)) != null) {
                return PutOutcome.ALREADY_PRESENT;
            }
            reservedBytes.addAndGet(-fp);
            return PutOutcome.STORED;
        }

        @Override
        protected void giveBack() {
            if (!isClosed()) { // close forgot every count
                reservedBytes.addAndGet(-fp);
                untake(fp);
            }
        }
    }

    /** Test hook: flips one payload byte in place, as a disk error would. Returns false if the block is absent. */
    public boolean damage(BlockKey key, int offset) {
        Entry e = entries.get(key);
        if (e == null || e.bytes().length == 0) {
            return false;
        }
        e.bytes()[offset % e.bytes().length] ^= (byte) 0xFF;
        return true;
    }
}
