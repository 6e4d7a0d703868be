package io.kvstore.tier.hbm;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.clock.NanoClock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.ForwardingTier;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.ReservedBlock;
import io.kvstore.core.tier.TierReservation;
import io.kvstore.core.tier.TierStats;
import io.kvstore.tier.dram.DramTier;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * An emulated GPU HBM tier: a byte capacity, an off-heap store, and the cost of crossing PCIe.
 *
 * <h2>How it works</h2>
 * The bytes live in a non-persistent {@link DramTier} (the same page arena, index and zero-copy handles; the
 * emulator reuses it rather than keeping a second allocator). Every stored block is a host-to-device transfer
 * of its payload, every read hit a device-to-host transfer; each is booked on that direction's lane of a
 * {@link PcieLinkModel}, in modelled time on the injected {@link NanoClock}: transfers queue for the wire, add
 * their fixed latency, and the totals (bytes, transfers, modelled transfer and queueing time per direction)
 * appear in {@link #stats()} for the simulator and the TTFT model. By default nothing waits. With
 * {@link HbmSimConfig#pacing()} each put and read also waits, in real time, until its modelled transfer would
 * have completed, so a demo shows what the link costs.
 *
 * <p>Integrity: like DRAM, HBM is process-private memory written only by this process and is trusted; payloads
 * are not re-verified on the way out (see docs/tiers.md).
 *
 * <p>Thread-safety: all methods may be called concurrently. Lifecycle as for every {@link Tier}.
 */
public final class HbmSimTier extends ForwardingTier {

    private final HbmSimConfig config;
    private final NanoClock clock;
    private final LinkLane h2d;
    private final LinkLane d2h;

    /** Opens an empty emulated HBM whose modelled time runs on {@code clock}. */
    public HbmSimTier(HbmSimConfig config, NanoClock clock) {
        super(DramTier.open(Objects.requireNonNull(config, "config").storeConfig()));
        this.config = config;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.h2d = new LinkLane(config.link(), TransferDirection.HOST_TO_DEVICE);
        this.d2h = new LinkLane(config.link(), TransferDirection.DEVICE_TO_HOST);
    }

    /** Emulated device memory ends with the process: the daemon moves its blocks down on a clean stop. */
    @Override
    public boolean drainedAtExit() {
        return true;
    }

    /** The link model in use. */
    public PcieLinkModel link() {
        return config.link();
    }

    /** Modelled transfer time so far in one direction, nanoseconds (latency plus bandwidth terms). */
    public long modelledTransferNanos(TransferDirection d) {
        return lane(d).transferNanos.sum();
    }

    /** Bytes moved so far in one direction. */
    public long bytesMoved(TransferDirection d) {
        return lane(d).bytes.sum();
    }

    private LinkLane lane(TransferDirection d) {
        return d == TransferDirection.HOST_TO_DEVICE ? h2d : d2h;
    }

    @Override
    public PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        PutOutcome o = tier.put(meta, payload);
        if (o == PutOutcome.STORED) {
            transfer(h2d, meta.length());
        }
        return o;
    }

    /**
     * Memory of the underlying arena, written in place; the commit is the host-to-device transfer (booked, and
     * paced if configured, as a put's).
     */
    @Override
    public TierReservation.Attempt reserve(BlockMeta meta) {
        TierReservation.Attempt a = tier.reserve(meta);
        if (a.reservation() == null) {
            return a;
        }
        TierReservation inner = a.reservation();
        return new TierReservation.Attempt(a.outcome(), new ReservedBlock(meta, inner.buffer()) {
            @Override
            protected PutOutcome publish(BlockMeta committed) {
                PutOutcome o = inner.commit(committed);
                if (o == PutOutcome.STORED) {
                    transfer(h2d, committed.length());
                }
                return o;
            }

            @Override
            protected void giveBack() {
                inner.abort();
            }
        });
    }

    @Override
    public boolean reservesInPlace() {
        return tier.reservesInPlace();
    }

    @Override
    public ReadResult read(BlockKey key) {
        ReadResult r = tier.read(key);
        if (r.isHit()) {
            try {
                transfer(d2h, r.handle().meta().length());
            } catch (RuntimeException | Error e) {
                r.handle().close();
                throw e;
            }
        }
        return r;
    }

    /** Each block is its own device-to-host transfer: reads go through {@link #read} so that all are accounted. */
    @Override
    public List<ReadResult> readAll(List<BlockKey> keys) {
        List<ReadResult> out = new ArrayList<>(keys.size());
        for (BlockKey k : keys) {
            out.add(read(k));
        }
        return out;
    }

    private void transfer(LinkLane lane, long bytes) {
        long now = clock.nanoTime();
        long done = lane.book(now, bytes);
        if (config.pacing()) {
            long deadline = System.nanoTime() + (done - now);
            long left;
            while ((left = deadline - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left);
            }
        }
    }

    /**
     * The DRAM tier's counters (see {@link DramTier#stats()}) plus, per direction {@code h2d} and {@code d2h}:
     * {@code <dir>_bytes}, {@code <dir>_transfers}, {@code <dir>_modelled_nanos} (latency plus bandwidth terms),
     * {@code <dir>_queue_nanos} (modelled waiting for the wire), {@code <dir>_bandwidth_bytes_per_s},
     * {@code <dir>_latency_nanos}; and {@code pacing} (1 if real transfers are paced).
     */
    @Override
    public TierStats stats() {
        TierStats s = tier.stats();
        Map<String, Long> d = new HashMap<>(s.details());
        d.remove("persistent");
        d.remove("restart_blocks");
        d.remove("restart_discarded");
        d.remove("verified_after_restart");
        for (TransferDirection dir : TransferDirection.values()) {
            LinkLane l = lane(dir);
            String p = dir.label() + "_";
            d.put(p + "bytes", l.bytes.sum());
            d.put(p + "transfers", l.transfers.sum());
            d.put(p + "modelled_nanos", l.transferNanos.sum());
            d.put(p + "queue_nanos", l.queueNanos.sum());
            d.put(p + "bandwidth_bytes_per_s", (long) config.link().bytesPerSecond(dir));
            d.put(p + "latency_nanos", config.link().latencyNanos(dir));
        }
        d.put("pacing", config.pacing() ? 1L : 0L);
        return new TierStats(s.name(), s.capacityBytes(), s.usedBytes(), s.blocks(), s.hits(), s.misses(),
                s.corrupt(), d);
    }

}
