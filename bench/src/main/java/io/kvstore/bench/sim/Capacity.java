package io.kvstore.bench.sim;

import java.util.Locale;

/**
 * A capacity as the user wrote it: a fraction of the trace's unique blocks ({@code 5%}), a block count
 * ({@code 20000}) or bytes with a binary or decimal unit ({@code 64GiB}, {@code 500MB}), turned into blocks
 * with the KV layout's bytes per block.
 *
 * @param text     the original text, for reports
 * @param fraction the fraction of unique blocks, or NaN
 * @param blocks   a block count, or -1
 * @param bytes    a byte count, or -1
 */
public record Capacity(String text, double fraction, long blocks, long bytes) {

    /** Parses {@code 5%}, {@code 0.5%}, {@code 20000}, {@code 64GiB}, {@code 4GB}, {@code 512MiB}, {@code 100B}. */
    public static Capacity parse(String s) {
        String t = s.trim();
        String u = t.toUpperCase(Locale.ROOT);
        try {
            if (u.endsWith("%")) {
                double f = Double.parseDouble(u.substring(0, u.length() - 1)) / 100;
                if (!(f > 0)) {
                    throw new IllegalArgumentException("capacity must be > 0: " + s);
                }
                return new Capacity(t, f, -1, -1);
            }
            String[][] units = {{"TIB", "1099511627776"}, {"GIB", "1073741824"}, {"MIB", "1048576"},
                {"KIB", "1024"}, {"TB", "1000000000000"}, {"GB", "1000000000"}, {"MB", "1000000"}, {"KB", "1000"},
                {"B", "1"}};
            for (String[] unit : units) {
                if (u.endsWith(unit[0])) {
                    double v = Double.parseDouble(u.substring(0, u.length() - unit[0].length()).trim());
                    long bytes = (long) (v * Long.parseLong(unit[1]));
                    if (bytes < 1) {
                        throw new IllegalArgumentException("capacity must be > 0: " + s);
                    }
                    return new Capacity(t, Double.NaN, -1, bytes);
                }
            }
            long b = Long.parseLong(u);
            if (b < 1) {
                throw new IllegalArgumentException("capacity must be >= 1 block: " + s);
            }
            return new Capacity(t, Double.NaN, b, -1);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad capacity '" + s + "': use 5%, a block count or bytes like 64GiB",
                    e);
        }
    }

    /** The capacity in blocks (at least 1) for a trace with {@code uniqueBlocks} and blocks of {@code blockBytes}. */
    public long toBlocks(long uniqueBlocks, long blockBytes) {
        if (!Double.isNaN(fraction)) {
            return Math.max(1, Math.round(fraction * uniqueBlocks));
        }
        if (blocks > 0) {
            return blocks;
        }
        return Math.max(1, bytes / blockBytes);
    }
}
