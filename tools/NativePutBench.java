import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PutAck;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The PUT bandwidth of kvstore's own binary protocol for the bytes tools/LmBench.java PUTs through lm:// (64 chunks
 * of 4 MiB from one connection, one block each), so that the two can be compared in the same run: what the engine's
 * put costs whichever door the bytes come through (docs/protocol-lmcache.md). Each run stores fresh keys (a PUT of a
 * key already stored is not stored again) and deletes them afterwards, so every block is copied into the top tier
 * and, once it is full, moves another block down, as an lm:// PUT that replaces its key does.
 *
 * <p>Usage: {@code java -cp 'bench/target/classes:bench/target/lib/*' tools/NativePutBench.java DATA_PORT [chunks=64]
 * [runs=3] [chunkBytes=4194304] [direct|heap]}: the payloads in direct buffers (the default) or on the heap
 * ({@code ByteBuffer.wrap} of a {@code byte[]}, as many engines hold their bytes).
 */
public final class NativePutBench {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int chunks = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int chunk = args.length > 3 ? Integer.parseInt(args[3]) : 4 << 20;
        boolean heap = args.length > 4 && args[4].equals("heap");
        Random rnd = new Random(1);
        ByteBuffer[] contents = new ByteBuffer[Math.min(chunks, 8)];
        for (int i = 0; i < contents.length; i++) {
            byte[] p = new byte[chunk];
            rnd.nextBytes(p);
            contents[i] = heap ? ByteBuffer.wrap(p) : ByteBuffer.allocateDirect(chunk).put(p).flip();
        }
        int[] crcs = Arrays.stream(contents).mapToInt(Checksums::crc32c).toArray();
        double[] gbps = new double[runs];
        Namespace ns = new Namespace("native-put-bench", new KvLayout("bytes", 1, 1, 1, 1), "",
                "bench-" + System.nanoTime(), "");
        try (KvStoreClient kv = KvStoreClient.create(ClientOptions.of("127.0.0.1", port))) {
            for (int run = -1; run < runs; run++) { // run -1: warm-up, not counted
                // one namespace for every run (one connection, as an engine keeps it), fresh keys in each run
                List<BlockPayload> blocks = new ArrayList<>(chunks);
                for (int i = 0; i < chunks; i++) {
                    BlockKey key = key(ns, run, i);
                    int c = i % contents.length;
                    blocks.add(new BlockPayload(new BlockMeta(key, ns.root(), 0, ns.id(), ns.layoutId(), chunk, crcs[c]),
                            contents[c].duplicate()));
                }
                long t0 = System.nanoTime();
                PutAck ack = kv.putBlocks(ns, blocks);
                long t1 = System.nanoTime();
                if (!ack.allCached()) {
                    throw new IllegalStateException("not every block was stored: " + ack.statuses());
                }
                if (run >= 0) {
                    gbps[run] = (double) chunks * chunk / (t1 - t0);
                    System.out.printf(Locale.ROOT, "run %d: native put %.2f GB/s%n", run + 1, gbps[run]);
                }
                // the run's blocks go again, so that every run stores into the same full tiers
                kv.delete(ns, blocks.stream().map(b -> b.meta().key()).toList());
            }
        }
        double[] sorted = gbps.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "{\"chunk_bytes\": %d, \"chunks\": %d, \"runs\": %d, \"native_put_gbps\": %.3f}%n",
                chunk, chunks, runs, sorted[runs / 2]);
    }

    private static BlockKey key(Namespace ns, int run, int i) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(ns.root().toBytes());
        d.update(("run-" + run + "-chunk-" + i).getBytes(StandardCharsets.UTF_8));
        return BlockKey.of(d.digest());
    }
}
