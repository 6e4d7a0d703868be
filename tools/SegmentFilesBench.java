import com.sun.nio.file.ExtendedOpenOption;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Random;

/**
 * What the NVMe tier's segment files cost the filesystem, without the tier: records of 2 MiB + 4 KiB written with
 * O_DIRECT into segment files of SEG MiB, a log of 1 GiB whose oldest segment goes when a new one would pass it,
 * until TOTAL MiB are written. Modes (combine with '-'): {@code delete} (a new file per segment, the oldest deleted:
 * the tier before segment recycling) or {@code recycle} (the oldest file renamed and written over: the tier now);
 * {@code sync} adds an fdatasync per sealed segment and an fsync of the directory, as the tier does.
 *
 * <pre>
 * java tools/SegmentFilesBench.java DIR delete-sync 16 4096
 * java tools/SegmentFilesBench.java DIR recycle-sync 16 4096
 * </pre>
 * docs/tiers.md ("Recycled segment files") has what it measured.
 */
public class SegmentFilesBench {
    static final int RECORD = 2 * 1024 * 1024 + 4096;

    public static void main(String[] a) throws Exception {
        if (a.length != 4) {
            System.err.println("usage: java tools/SegmentFilesBench.java DIR delete|recycle[-sync] SEG_MiB TOTAL_MiB");
            System.exit(2);
        }
        Path dir = Paths.get(a[0]);
        String mode = a[1];
        boolean recycle = mode.contains("recycle");
        boolean sync = mode.contains("sync");
        long seg = Long.parseLong(a[2]) << 20;
        long total = Long.parseLong(a[3]) << 20;
        long log = 1L << 30;
        Files.createDirectories(dir);
        ByteBuffer all = ByteBuffer.allocateDirect(64 * RECORD + 4096).alignedSlice(4096);
        byte[] r = new byte[all.capacity()];
        new Random(1).nextBytes(r);
        all.put(r).clear();
        ArrayDeque<Path> live = new ArrayDeque<>();
        ArrayDeque<Path> free = new ArrayDeque<>();
        FileChannel ch = null;
        Path current = null;
        long id = 0, end = 0, written = 0, syncNs = 0, retireNs = 0;
        int k = 0;
        long t0 = System.nanoTime();
        while (written < total) {
            if (ch == null || end + RECORD > seg) {
                if (ch != null) {
                    long s0 = System.nanoTime();
                    if (sync) {
                        ch.force(false);
                        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                            d.force(true);
                        }
                    }
                    syncNs += System.nanoTime() - s0;
                    ch.close();
                    live.add(current);
                }
                while ((live.size() + 1) * seg > log) {
                    long s0 = System.nanoTime();
                    Path old = live.poll();
                    if (recycle) {
                        free.add(old);
                    } else {
                        Files.delete(old);
                    }
                    retireNs += System.nanoTime() - s0;
                }
                current = dir.resolve(String.format("%016x.seg", id++));
                if (recycle && !free.isEmpty()) {
                    Files.move(free.poll(), current, StandardCopyOption.ATOMIC_MOVE);
                    ch = FileChannel.open(current, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
                } else {
                    ch = FileChannel.open(current, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW,
                            ExtendedOpenOption.DIRECT);
                }
                end = 0;
            }
            ByteBuffer b = all.slice((k++ % 64) * RECORD, RECORD);
            long pos = end;
            while (b.hasRemaining()) {
                pos += ch.write(b, pos);
            }
            end += RECORD;
            written += RECORD;
        }
        ch.force(false);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s, %d MiB segments: %.0f MB/s (syncs %.2f s, deletes %.2f s of %.2f s)%n", mode, seg >> 20,
                written / s / 1e6, syncNs / 1e9, retireNs / 1e9, s);
        ch.close();
        for (Path p : live) {
            Files.deleteIfExists(p);
        }
        for (Path p : free) {
            Files.deleteIfExists(p);
        }
        Files.deleteIfExists(current);
    }
}
