package io.kvstore.tier.nvme;

import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.tier.nvme.MetaDescriptor.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;

/**
 * The read path of one block of an {@link NvmeTier}: its record is read into a pooled aligned buffer and verified
 * against the in-memory index's metadata; the hit's handle is a zero-copy view of that buffer, which goes back to the
 * pool when the handle is closed. Reads take no key lock: a read that races a relocation, drop or remove finds its
 * index entry changed and looks the key up again; a record that fails verification while its entry stands is
 * dropped as corrupt.
 */
final class BlockReader {

    private static final Logger LOG = LoggerFactory.getLogger(BlockReader.class);
    /** Reads that find their record moved (relocated) or removed look the key up again this many times. */
    private static final int READ_ATTEMPTS = 3;

    private final NvmeTier tier;

    BlockReader(NvmeTier tier) {
        this.tier = tier;
    }

    /** One block; the caller holds the lifecycle read lock. */
    ReadResult read(BlockKey key) {
        NvmeCounters counters = tier.counters;
        BufferPool pool = tier.pool;
        for (int attempt = 1; ; attempt++) {
            Entry e = tier.index.get(key);
            if (e == null) {
                counters.misses.increment();
                return ReadResult.miss();
            }
            SegmentStore.Location loc = e.location();
            ByteBuffer buf = pool.acquire(loc.padded());
            String problem;
            try {
                problem = tier.segments.read(loc, buf) ? null : "record missing";
            } catch (ClosedByInterruptException | InterruptedIOException ex) {
                pool.release(buf); // this thread was interrupted: an error, not a damaged block
                counters.errors.increment();
                counters.misses.increment();
                return ReadResult.miss();
            } catch (IOException ex) {
                problem = ex.toString();
            }
            ByteBuffer payload = problem == null ? RecordDescriptor.decode(buf, e.meta(), loc.segment()) : null;
            if (payload != null) {
                counters.hits.increment();
                if (!payload.isDirect()) {
                    tier.reclaimer.hit(key);
                    pool.release(buf); // decoded into its own heap array
                    return ReadResult.hit(RefCountedHandle.create(e.meta(), payload, null));
                }
                Runnable release = tier.reclaimer.readHit(key, e, buf, () -> pool.release(buf));
                return ReadResult.hit(RefCountedHandle.create(e.meta(), payload, release));
            }
            pool.release(buf);
            if (tier.index.get(key) != e && attempt < READ_ATTEMPTS) {
                continue; // relocated or removed while we read: look again
            }
            if (tier.index.get(key) != e) {
                counters.misses.increment();
                return ReadResult.miss();
            }
            return dropCorrupt(key, e, problem == null ? "record failed verification" : problem);
        }
    }

    private ReadResult dropCorrupt(BlockKey key, Entry e, String why) {
        tier.counters.corrupt.increment();
        LOG.warn("{}: block {} is corrupt ({}); dropped", tier.cfg.name(), key.shortHex(), why);
        tier.removeIf(key, e);
        return ReadResult.corrupt();
    }
}
