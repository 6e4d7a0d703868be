import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.tier.dram.DramTier;
import io.kvstore.tier.dram.DramTierConfig;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The DRAM tier's put (+remove) and get with the arena in private memory and in /dev/shm files (the daemon's
 * default), in interleaved rounds in one JVM, 2 MiB blocks: on a shared machine each shm round is paired with a
 * private round taken moments apart (docs/tiers.md, "Benchmarks"). Build once ({@code ./kvstore bench --help} or
 * {@code ./mvnw -B -ntp -q -DskipTests package -pl bench -am}), then, from the repository root:
 * {@code java <JVM_FLAGS of ./kvstore> -cp "bench/target/classes:bench/target/lib/*" tools/DramArenaPaired.java [rounds]}
 */
public class DramArenaPaired {
    static final int SIZE = 2 << 20;

    public static void main(String[] a) throws Exception {
        int rounds = Integer.parseInt(a.length > 0 ? a[0] : "31");
        Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "kvstore-paired-");
        Files.delete(dir);
        DramTierConfig cfg = DramTierConfig.of("p", 16L * SIZE);
        try (DramTier priv = DramTier.open(cfg); DramTier shm = DramTier.open(cfg.persistedTo(dir))) {
            ByteBuffer src = ByteBuffer.allocateDirect(SIZE);
            for (int i = 0; i < SIZE; i++) src.put(i, (byte) i);
            BlockKey stored = BlockKey.synthetic(1, 1);
            BlockKey k = BlockKey.synthetic(1, 2);
            for (DramTier t : new DramTier[]{priv, shm}) {
                t.put(new BlockMeta(stored, stored, 0, 1, 1, SIZE, 0), src);
            }
            BlockMeta m = new BlockMeta(k, k, 0, 1, 1, SIZE, 0);
            double[][] put = new double[2][rounds], get = new double[2][rounds];
            for (int r = -10; r < rounds; r++) {
                for (int w = 0; w < 2; w++) {
                    int which = (r & 1) == 0 ? w : 1 - w;
                    DramTier t = which == 0 ? priv : shm;
                    int n = 128;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        if (t.put(m, src) != PutOutcome.STORED || !t.remove(k)) throw new IllegalStateException();
                    }
                    long t1 = System.nanoTime();
                    int g = 20000;
                    long sink = 0;
                    for (int i = 0; i < g; i++) {
                        try (BlockHandle h = t.read(stored).handle()) { sink += h.payload().capacity(); }
                    }
                    long t2 = System.nanoTime();
                    if (sink == 0) throw new IllegalStateException();
                    if (r >= 0) {
                        put[which][r] = (double) n * SIZE / (t1 - t0); // GB/s
                        get[which][r] = (double) (t2 - t1) / g; // ns
                    }
                }
            }
            System.out.printf("private: put %.2f GB/s, get %.0f ns | shm: put %.2f GB/s, get %.0f ns | medians of %d interleaved rounds%n",
                    med(put[0]), med(get[0]), med(put[1]), med(get[1]), rounds);
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) ratio[r] = put[1][r] / put[0][r];
            double[] gr = new double[rounds];
            for (int r = 0; r < rounds; r++) gr[r] = get[1][r] / get[0][r];
            System.out.printf("per-round shm/private: put ratio median %.2f, get ratio median %.2f%n", med(ratio), med(gr));
        } finally {
            DramTier.deleteIfUnused(dir);
        }
    }

    static double med(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
