package io.kvstore.tier.remote;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.RefCountedHandle;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.GetResult;
import io.kvstore.core.store.LookupResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.HeapTier;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.core.tier.ReadResult;
import io.kvstore.core.tier.TierStats;
import io.kvstore.policy.linked.LruPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two daemons (two {@link TieredStore}s, each with its own local heap tier) share one Redis Cluster as their last
 * tier; plus the remote tier's integrity checks against real damage done to the keys in Redis.
 */
@Timeout(90)
class SharedRemoteTierTest {

    static final int MIB = 1 << 20;
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    @RegisterExtension
    static final RedisClusterExtension CLUSTER = new RedisClusterExtension("512mb", "allkeys-lru");

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String prefix;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        assertThat(RefCountedHandle.leaks()).isZero();
    }

    RemoteTier remote() {
        if (prefix == null) {
            prefix = "shared" + PREFIXES.incrementAndGet();
        }
        RemoteTier t = RemoteTier.open(RemoteTierConfig.builder(CLUSTER.seeds()).keyPrefix(prefix)
                .timeoutMillis(2000).build());
        toClose.add(t);
        return t;
    }

    /** A daemon: a local heap tier of {@code localBytes} over the shared remote tier (write-back, no direct puts). */
    TieredStore daemon(long localBytes) {
        TieredStore s = TieredStore.builder()
                .tier(TierSpec.of(new HeapTier("dram", localBytes), new LruPolicy<>()))
                .tier(TierSpec.of(remote(), new LruPolicy<>()).withRules(false, false))
                .build();
        toClose.add(s);
        return s;
    }

    static List<BlockMeta> chain(long first, int blocks, int size) {
        List<BlockMeta> out = new ArrayList<>();
        for (long i = first; i < first + blocks; i++) {
            out.add(Blocks.meta(i, size));
        }
        return out;
    }

    @Test
    void aPrefixStoredThroughDaemonAIsFoundAndReadByteIdenticalThroughDaemonB() {
        int size = 2 * MIB + 12_345; // three pieces: 1 MiB, 1 MiB, the rest
        TieredStore a = daemon(2L * size + 4096);
        TieredStore b = daemon(64L * MIB);
        List<BlockMeta> chain = chain(100, 6, size);
        for (BlockMeta m : chain) {
            assertThat(a.put(m, Blocks.payload(m.position(), size)).status()).isEqualTo(PutStatus.STORED);
        }
        // a's local tier holds two blocks; the first four were written back to the cluster on demotion
        List<BlockKey> keys = chain.stream().map(BlockMeta::key).toList();
        assertThat(a.lookup(Blocks.NS, keys, 0).tiers()).containsExactly("remote", "remote", "remote", "remote",
                "dram", "dram");
        LookupResult seenByB = b.lookup(Blocks.NS, keys, 0);
        assertThat(seenByB.hitBlocks()).as("b finds the written-back prefix in the cluster").isEqualTo(4);
        for (int i = 0; i < 4; i++) {
            GetResult g = b.get(Blocks.NS, keys.get(i));
            assertThat(g.isHit()).isTrue();
            try (BlockHandle h = g.handle()) {
                assertThat(g.tier()).isEqualTo("remote");
                assertThat(h.payload()).isEqualTo(Blocks.payload(100 + i, size));
                assertThat(h.payload().isDirect()).isTrue();
            }
        }
        assertThat(b.info(keys.get(0)).tier()).as("the hit was promoted into b's local tier").isEqualTo("dram");
        TierStats bs = b.stats().get(1).tier();
        assertThat(bs.hits()).isEqualTo(4);
        assertThat(bs.details()).containsEntry("bytes_read_total", 4L * size)
                .containsEntry("read_pool_bytes_in_use", 0L);
        // a still finds its own copies (promotion out of a shared tier copies)
        try (BlockHandle h = a.get(Blocks.NS, keys.get(0)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(100, size));
        }
        assertThat(b.get(Blocks.NS + 1, keys.get(1)).isHit()).as("namespaces stay isolated").isFalse();
    }

    @Test
    void hotPrefixesWrittenThroughAreFoundByDaemonBBeforeAnyDemotion() throws Exception {
        int size = 300_000;
        RemoteTier sharedForA = remote();
        WriteThroughTier local = new WriteThroughTier(new HeapTier("dram", 64L * MIB), sharedForA,
                WriteThroughTier.firstBlocks(2), 8L * MIB);
        TieredStore a = TieredStore.builder()
                .tier(TierSpec.of(local, new LruPolicy<>()))
                .tier(TierSpec.of(sharedForA, new LruPolicy<>()).withRules(false, false))
                .build();
        toClose.add(a);
        TieredStore b = daemon(64L * MIB);
        List<BlockMeta> chain = chain(0, 4, size); // positions 0-3: 0 and 1 are hot
        for (BlockMeta m : chain) {
            assertThat(a.put(m, Blocks.payload(m.position(), size)).status()).isEqualTo(PutStatus.STORED);
        }
        assertThat(local.drain(10_000)).isTrue();
        List<BlockKey> keys = chain.stream().map(BlockMeta::key).toList();
        assertThat(a.lookup(Blocks.NS, keys, 0).tiers()).as("a keeps them local").containsOnly("dram");
        assertThat(b.lookup(Blocks.NS, keys, 0).hitBlocks()).as("the two hot blocks were written through")
                .isEqualTo(2);
        try (BlockHandle h = b.get(Blocks.NS, keys.get(1)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(1, size));
        }
        assertThat(a.stats().get(0).tier().details()).containsEntry("write_through_copied_total", 2L)
                .containsEntry("write_through_skipped_total", 0L);
    }

    @Test
    void damagedPayloadIsCorruptDeletedAndCounted() throws Exception {
        RemoteTier t = remote();
        BlockMeta m = Blocks.meta(7, 1_500_000);
        assertThat(t.put(m, Blocks.payload(7, 1_500_000))).isEqualTo(PutOutcome.STORED);
        String piece = BlockRecordDescriptor.keyBase(prefix, m.key()) + "1";
        assertThat(redisCli(piece, "SETRANGE", piece, "100", "X").trim()).isEqualTo(Integer.toString(1_500_000 - MIB));
        assertThat(t.read(m.key()).outcome()).isEqualTo(ReadResult.Outcome.CORRUPT);
        assertThat(t.stats().corrupt()).isEqualTo(1);
        assertThat(t.contains(m.key())).as("a corrupt block is deleted").isFalse();
        assertThat(redisCli(piece, "EXISTS", piece).trim()).isEqualTo("0");
    }

    @Test
    void damagedHeaderIsCorrupt() throws Exception {
        RemoteTier t = remote();
        BlockMeta m = Blocks.meta(8, 4096);
        t.put(m, Blocks.payload(8, 4096));
        String meta = BlockRecordDescriptor.keyBase(prefix, m.key()) + "meta";
        redisCli(meta, "SETRANGE", meta, "80", "Z");
        assertThat(t.read(m.key()).outcome()).isEqualTo(ReadResult.Outcome.CORRUPT);
        assertThat(t.read(m.key()).outcome()).isEqualTo(ReadResult.Outcome.MISS);
    }

    @Test
    void aBlockMissingAPieceIsAMissAndItsRemainsAreDeleted() throws Exception {
        RemoteTier t = remote();
        BlockMeta m = Blocks.meta(9, 3 * MIB);
        t.put(m, Blocks.payload(9, 3 * MIB));
        String piece = BlockRecordDescriptor.keyBase(prefix, m.key()) + "2";
        redisCli(piece, "DEL", piece); // what allkeys-lru does to one key of a block
        assertThat(t.read(m.key()).outcome()).isEqualTo(ReadResult.Outcome.MISS);
        assertThat(t.stats().details()).containsEntry("partial_total", 1L);
        assertThat(t.contains(m.key())).isFalse();
        assertThat(t.usedBytes()).as("the ledger forgets it").isZero();
    }

    @Test
    void aBlockRedisEvictedIsSentAgainOnTheNextPut() throws Exception {
        RemoteTier t = remote();
        BlockMeta m = Blocks.meta(12, 5000);
        assertThat(t.put(m, Blocks.payload(12, 5000))).isEqualTo(PutOutcome.STORED);
        String meta = BlockRecordDescriptor.keyBase(prefix, m.key()) + "meta";
        redisCli(meta, "DEL", meta); // as maxmemory eviction would
        assertThat(t.blockCount()).as("the ledger has not noticed yet").isEqualTo(1);
        assertThat(t.put(m, Blocks.payload(12, 5000))).isEqualTo(PutOutcome.STORED);
        assertThat(t.usedBytes()).isEqualTo(t.footprint(5000));
        try (BlockHandle h = t.read(m.key()).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(12, 5000));
        }
    }

    @Test
    void twoTiersRacingOnOneBlockStoreItOnce() {
        RemoteTier x = remote();
        RemoteTier y = remote();
        BlockMeta m = Blocks.meta(11, 64 * 1024);
        ByteBuffer p = Blocks.payload(11, 64 * 1024);
        assertThat(x.put(m, p)).isEqualTo(PutOutcome.STORED);
        assertThat(y.put(m, p)).isEqualTo(PutOutcome.ALREADY_PRESENT);
        assertThat(y.meta(m.key())).contains(m);
        try (BlockHandle h = y.read(m.key()).handle()) {
            assertThat(h.payload()).isEqualTo(p);
        }
        assertThat(x.remove(m.key())).isTrue();
        assertThat(y.read(m.key()).outcome()).isEqualTo(ReadResult.Outcome.MISS);
    }

    @Test
    void anExhaustedReadPoolAnswersMissesNotErrors() {
        RemoteTier t = RemoteTier.open(RemoteTierConfig.builder(CLUSTER.seeds()).keyPrefix("pool"
                + PREFIXES.incrementAndGet()).readPoolBytes(MIB).timeoutMillis(2000).build());
        toClose.add(t);
        t.put(Blocks.meta(1, 600_000), Blocks.payload(1, 600_000));
        t.put(Blocks.meta(2, 600_000), Blocks.payload(2, 600_000));
        try (BlockHandle held = t.read(Blocks.key(1)).handle()) { // 1 MiB class: the whole pool
            assertThat(t.read(Blocks.key(2)).outcome()).isEqualTo(ReadResult.Outcome.MISS);
            assertThat(t.stats().details()).containsEntry("read_pool_exhausted_total", 1L);
            assertThat(held.payload()).isEqualTo(Blocks.payload(1, 600_000));
        }
        try (BlockHandle h = t.read(Blocks.key(2)).handle()) {
            assertThat(h.payload()).isEqualTo(Blocks.payload(2, 600_000));
        }
    }

    @Test
    void forEachScansTheWholeCluster() {
        RemoteTier t = remote();
        for (int i = 0; i < 50; i++) {
            t.put(Blocks.meta(i, 100), Blocks.payload(i, 100));
        }
        List<BlockKey> seen = new ArrayList<>();
        remote().forEach(m -> seen.add(m.key()));
        assertThat(seen).hasSize(50).contains(Blocks.key(0), Blocks.key(49));
    }

    /** Runs redis-cli against the master that owns {@code key}'s slot. */
    private static String redisCli(String key, String... args) throws Exception {
        int slot = io.lettuce.core.cluster.SlotHash.getSlot(key);
        return LocalRedisCluster.cli(CLUSTER.cluster().masterOfSlot(slot).port(), args);
    }
}
