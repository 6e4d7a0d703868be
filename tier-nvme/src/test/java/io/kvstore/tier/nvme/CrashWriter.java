package io.kvstore.tier.nvme;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The child JVM of {@link NvmeCrashTest}: opens the tier and writes block after block, forever, evicting the
 * oldest when full, until it is killed. After each step it prints one line to stdout: {@code S n} (block n stored:
 * the put returned) or {@code R n} (block n removed, by this writer or dropped by the tier's segment reclaim).
 *
 * <p>Arguments: directory, first block number, capacity bytes, block bytes, and optionally {@code defaults} (the
 * tier's default configuration instead of {@link NvmeCrashTest#config}).
 */
public final class CrashWriter {

    private CrashWriter() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long next = Long.parseLong(args[1]);
        long capacity = Long.parseLong(args[2]);
        int block = Integer.parseInt(args[3]);
        PrintStream out = System.out;
        NvmeTier tier = NvmeTier.open(args.length > 4 ? NvmeTierConfig.builder(dir, capacity).build() // defaults
                : NvmeCrashTest.config(dir, capacity));
        tier.dropListener(key -> { // blocks the tier drops itself (oldest segment reclaimed) count as removed
            synchronized (out) {
                out.println("R " + key.secondLong());
            }
        });
        List<BlockMeta> present = new ArrayList<>();
        tier.forEach(present::add);
        present.sort(Comparator.comparingInt(BlockMeta::position));
        ArrayDeque<BlockKey> oldest = new ArrayDeque<>();
        present.forEach(m -> oldest.add(m.key()));
        out.println("READY " + present.size());
        out.flush();
        while (true) {
            BlockMeta m = Blocks.meta(next, block);
            PutOutcome o = tier.put(m, Blocks.payload(next, block));
            if (o == PutOutcome.NO_CAPACITY) {
                BlockKey victim = oldest.poll();
                if (victim != null && tier.remove(victim)) {
                    synchronized (out) {
                        out.println("R " + victim.secondLong());
                    }
                }
                continue;
            }
            if (o != PutOutcome.STORED) {
                throw new IllegalStateException("put " + next + ": " + o);
            }
            oldest.add(m.key());
            synchronized (out) {
                out.println("S " + next);
                out.flush();
            }
            next++;
        }
    }
}
