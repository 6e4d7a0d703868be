package io.kvstore.bench.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How many distinct values a throughput run should cycle through so that it measures memory, not the CPU cache:
 * twice the last-level cache (read from Linux's {@code /sys/devices/system/cpu/cpu0/cache}), at least 64 values.
 * On this project's machines the L3 is 260 MiB, so a 64 MiB working set (the old default) was served from the
 * cache and a plain memory copy of it ran at 3-32 GB/s depending on what else shared the cache.
 */
final class WorkingSet {

    static final int MIN_VALUES = 64;
    static final int MAX_VALUES = 4096;

    private WorkingSet() {
    }

    /** Values of {@code valueBytes} that together are at least twice {@code llcBytes} (within the bounds). */
    static int values(long llcBytes, int valueBytes) {
        long n = (2 * llcBytes + valueBytes - 1) / valueBytes;
        return (int) Math.max(MIN_VALUES, Math.min(MAX_VALUES, n));
    }

    /** The largest CPU cache of cpu0 in bytes, or 0 if Linux does not say. */
    static long lastLevelCacheBytes() {
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        long best = 0;
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (var entries = Files.list(dir)) {
            for (Path index : entries.filter(p -> p.getFileName().toString().startsWith("index")).toList()) {
                Path size = index.resolve("size");
                if (Files.isReadable(size)) {
                    best = Math.max(best, parseSize(Files.readString(size).trim()));
                }
            }
        } catch (IOException | RuntimeException e) {
            return best;
        }
        return best;
    }

    /** Parses sysfs cache sizes such as {@code 266240K}, {@code 32M} or {@code 512}. */
    static long parseSize(String s) {
        String t = s.toUpperCase(Locale.ROOT);
        long unit = t.endsWith("K") ? 1024 : t.endsWith("M") ? 1 << 20 : t.endsWith("G") ? 1L << 30 : 1;
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        return Long.parseLong(digits) * unit;
    }
}
