package io.kvstore.bench.engine;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.LookupResult;
import io.kvstore.core.store.PutStatus;
import io.kvstore.core.store.TierSpec;
import io.kvstore.core.store.TieredStore;
import io.kvstore.core.tier.MetadataOnlyTier;
import io.kvstore.policy.PolicyRegistry;
import io.kvstore.policy.PolicySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The store's LOOKUP of a cached prefix ({@link TieredStore#lookup}: the directory's part of a LOOKUP request), with
 * the CPU caches warm or cold. In the daemon under load a LOOKUP rarely finds the directory in the cache: the event
 * loop that answers it also copies megabytes of GET payloads into sockets between two LOOKUPs, and a LOOKUP of a
 * cached prefix then pays a chain of dependent memory loads per key (the table's slot, the entry, its metadata, the
 * key). {@code cold} sweeps a buffer larger than the last-level cache before every call (not timed), as that
 * traffic does.
 *
 * <p>The store holds {@code blocks} blocks of one metadata-only level with the default policy, in chains of 64 with
 * random 32-byte keys (as SHA-256 keys are); each call looks up the first {@code keys} blocks of a random chain
 * through keys decoded afresh (copies, as a request's keys are), all of them hits.
 *
 * <p>Run with JMH's main: {@code java -Xms2g -Xmx2g -cp "bench/target/classes:bench/target/lib/*"
 * org.openjdk.jmh.Main PrefixLookupBenchmark -f 1 -wi 3 -w 2s -i 5 -r 3s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PrefixLookupBenchmark {

    private static final int CHAIN = 64;
    private static final int BLOCK_BYTES = 4096;
    private static final long NAMESPACE = 1;

    /** Blocks cached. */
    @Param({"20000", "1000000"})
    int blocks;

    /** Keys in one LOOKUP (the agent workload's are 16 to 64). */
    @Param({"40"})
    int keys;

    /** Sweep a buffer larger than the last-level cache before each call. */
    @Param({"false", "true"})
    boolean cold;

    private TieredStore store;
    private long[][] words;
    private long[] sweep;
    private final SplittableRandom random = new SplittableRandom(42);
    private List<BlockKey> request;
    private long sink;

    @Setup(Level.Trial)
    public void setUp() {
        long capacity = 2L * blocks * BLOCK_BYTES;
        store = TieredStore.builder()
                .tier(TierSpec.of(new MetadataOnlyTier("dram", capacity),
                        PolicyRegistry.create("default", new PolicySpec(capacity, BLOCK_BYTES, 42))))
                .build();
        SplittableRandom r = new SplittableRandom(7);
        words = new long[blocks][];
        ByteBuffer none = ByteBuffer.allocate(0);
        BlockKey parent = BlockKey.synthetic(-1, -1);
        for (int i = 0; i < blocks; i++) {
            words[i] = new long[] {r.nextLong(), r.nextLong()};
            BlockKey key = BlockKey.synthetic(words[i][0], words[i][1]);
            if (i % CHAIN == 0) {
                parent = BlockKey.synthetic(-1, -1);
            }
            BlockMeta m = new BlockMeta(key, parent, i % CHAIN, NAMESPACE, 1, BLOCK_BYTES, 0);
            if (store.put(m, none, true).status() != PutStatus.STORED) {
                throw new IllegalStateException("block " + i + " not stored");
            }
            parent = BlockKey.synthetic(words[i][0], words[i][1]);
        }
        sweep = new long[cold ? 64 << 17 : 1]; // 64 MiB: twice this machine's last-level cache
    }

    @Setup(Level.Invocation)
    public void nextRequest() {
        int chain = random.nextInt(blocks / CHAIN);
        List<BlockKey> ks = new ArrayList<>(keys);
        for (int i = 0; i < keys; i++) {
            long[] w = words[chain * CHAIN + i];
            ks.add(BlockKey.synthetic(w[0], w[1]));
        }
        request = ks;
        if (cold) {
            long s = 0;
            for (int i = 0; i < sweep.length; i += 8) { // one write per 64-byte line
                sweep[i] += i;
                s += sweep[i];
            }
            sink += s;
        }
    }

    /** One LOOKUP of a cached prefix of {@code keys} blocks. */
    @Benchmark
    public LookupResult lookup() {
        LookupResult res = store.lookup(NAMESPACE, request, 0);
        if (res.hitBlocks() != keys) {
            throw new IllegalStateException("expected " + keys + " hits, got " + res.hitBlocks());
        }
        return res;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        store.close();
        if (sink == 42) {
            System.out.println(sink);
        }
    }
}
