package io.kvstore.server.tier;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.Tier;
import io.kvstore.core.tier.TierClosedException;
import io.kvstore.core.tier.TierStats;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * A minimal off-heap tier: one direct {@link ByteBuffer} per block, handed out zero-copy through ref-counted
 * handles. It is the server's stand-in for the DRAM tier until {@code tier-dram}'s slab-arena {@code DramTier}
 * is merged (see {@link TierFactory}); it exists so that the GET path can be exercised and measured with payloads
 * that go from off-heap memory to the socket without a heap copy.
 *
 * <p>Memory: each buffer is freed by the GC once the block is removed and the last handle is closed (no
 * explicit free, no reuse: the DRAM tier does that properly). Payloads live in process memory, so reads do not
 * re-verify the checksum (Tier contract: verification is for media that can be damaged behind the JVM's back).
 * Thread-safe.
 */
public final class DirectMemoryTier implements Tier {

    private record Entry(BlockMeta meta, ByteBuffer bytes) {
    }

    private final String name;
    private final long capacityBytes;
    private final Map<BlockKey, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong used = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();

    public DirectMemoryTier(String name, long capacityBytes) {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException(name + ": capacityBytes must be >= 1, was " + capacityBytes);
        }
        this.name = name;
        this.capacityBytes = capacityBytes;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long capacityBytes() {
        return capacityBytes;
    }

    @Override
    public long usedBytes() {
        return used.get();
    }

    @Override
    public long blockCount() {
        return entries.size();
    }

    @Override
    public PutOutcome put(BlockMeta meta, ByteBuffer payload) {
        checkOpen();
        if (payload.remaining() != meta.length()) {
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
        long u;
        do {
            u = used.get();
            if (u + fp > capacityBytes) {
                return PutOutcome.NO_CAPACITY;
            }
        } while (!used.compareAndSet(u, u + fp));
        ByteBuffer copy = ByteBuffer.allocateDirect(meta.length());
        copy.put(payload.duplicate()).flip();
        if (entries.putIfAbsent(meta.key(), new Entry(meta, copy)) != null) {
            used.addAndGet(-fp);
            return PutOutcome.ALREADY_PRESENT;
        }
        return PutOutcome.STORED;
    }

    @Override
    public ReadResult read(BlockKey key) {
        checkOpen();
        Entry e = entries.get(key);
        if (e == null) {
            misses.increment();
            return ReadResult.miss();
        }
        hits.increment();
        return ReadResult.hit(RefCountedHandle.create(e.meta(), e.bytes(), null));
    }

    @Override
    public Optional<BlockMeta> meta(BlockKey key) {
        checkOpen();
        Entry e = entries.get(key);
        return e == null ? Optional.empty() : Optional.of(e.meta());
    }

    @Override
    public boolean remove(BlockKey key) {
        checkOpen();
        Entry e = entries.remove(key);
        if (e == null) {
            return false;
        }
        used.addAndGet(-footprint(e.meta().length()));
        return true;
    }

    @Override
    public void forEach(Consumer<BlockMeta> visitor) {
        checkOpen();
        entries.values().forEach(e -> visitor.accept(e.meta()));
    }

    @Override
    public TierStats stats() {
        return new TierStats(name, capacityBytes, used.get(), entries.size(), hits.sum(), misses.sum(), 0, Map.of());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            entries.clear();
            used.set(0);
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new TierClosedException("tier " + name);
        }
    }
}
