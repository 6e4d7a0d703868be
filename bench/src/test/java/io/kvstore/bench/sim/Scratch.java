package io.kvstore.bench.sim;

import io.kvstore.bench.trace.Trace;
import io.kvstore.bench.trace.TraceFormat;

import java.nio.file.Path;
import java.util.List;

public class Scratch {
    public static void main(String[] a) throws Exception {
        Path p = Path.of(a[0]);
        long t = System.nanoTime();
        Trace tr = TraceFormat.detect(p).load(p, 42);
        System.out.printf("%s requests=%d accesses=%d unique=%d load=%.1fs%n", tr.name(), tr.requests(), tr.accesses(),
                tr.uniqueBlocks(), (System.nanoTime() - t) / 1e9);
        int[] next = tr.nextAccess();
        for (String pol : a[1].split(",")) {
            for (String c : a[2].split(",")) {
                long cap = (long) Math.max(1, Double.parseDouble(c) / 100 * tr.uniqueBlocks());
                ReplayResult r = new Replayer(tr).run(List.of(new LevelConfig("t", pol, cap)), next, false, 42);
                System.out.printf("%-16s %6s%% %8d  blocks=%.4f tokens=%.4f refused=%d ev=%d  %.1fs%n", pol, c, cap,
                        r.hitRatioBlocks(), r.hitRatioTokens(), r.refused(), r.evictions(), r.nanos() / 1e9);
            }
        }
    }
}
