package io.kvstore.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * All of kvctl's human formatting: units (binary byte sizes, rates, percentages, durations) and aligned
 * tables. Numeric columns (every cell a quantity, see {@code NUMBER}, or "-") are right-aligned, others left.
 * Stateless helpers plus {@link Table}, which is not thread-safe.
 */
final class Format {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    /** A cell that reads as a quantity: {@code 12}, {@code -}, {@code 4.5%}, {@code 2.0 MiB/s}, {@code 4m 05s ago}. */
    private static final Pattern NUMBER = Pattern.compile("-|[-+]?\\d[\\d.]*( ?[A-Za-z%]*(/s)?)?( \\d+s)?( ago)?");

    private Format() {
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 2.0 MiB}, {@code 3.25 GiB}. */
    static String bytes(double b) {
        if (Math.abs(b) < 1024) {
            return String.format(Locale.ROOT, "%.0f B", b);
        }
        int u = 0;
        while (Math.abs(b) >= 1024 && u < UNITS.length - 1) {
            b /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, Math.abs(b) < 10 ? "%.2f %s" : "%.1f %s", b, UNITS[u]);
    }

    /** A byte rate, e.g. {@code 1.20 GiB/s}. */
    static String rate(double bytesPerSecond) {
        return bytes(bytesPerSecond) + "/s";
    }

    /** An event rate, e.g. {@code 1234.5/s}. */
    static String perSecond(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.0f/s" : "%.1f/s", v);
    }

    /** {@code part / whole} as a percentage, or {@code -} when the whole is 0. */
    static String percent(double part, double whole) {
        return whole <= 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    /** A duration: {@code 850 ms}, {@code 12.3 s}, {@code 4m 05s}, {@code 3h 02m}, {@code 2d 04h}. */
    static String millis(long ms) {
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%dh %02dm", s / 3600, s % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd %02dh", s / 86_400, s % 86_400 / 3600);
    }

    /** {@code 1.2 s ago}. */
    static String ago(long ms) {
        return millis(ms) + " ago";
    }

    /** An aligned table: a header and rows of cells, printed with two spaces between columns. */
    static final class Table {
        private final String[] header;
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            this.header = header;
        }

        /** Adds a row; {@code null} cells print as {@code -}. */
        Table row(Object... cells) {
            if (cells.length != header.length) {
                throw new IllegalArgumentException("row has " + cells.length + " cells, header " + header.length);
            }
            String[] r = new String[cells.length];
            for (int i = 0; i < cells.length; i++) {
                r[i] = cells[i] == null ? "-" : cells[i].toString();
            }
            rows.add(r);
            return this;
        }

        void print(PrintWriter out) {
            int n = header.length;
            int[] width = new int[n];
            boolean[] right = new boolean[n];
            for (int c = 0; c < n; c++) {
                width[c] = header[c].length();
                right[c] = !rows.isEmpty();
                for (String[] r : rows) {
                    width[c] = Math.max(width[c], r[c].length());
                    right[c] &= numeric(r[c]);
                }
            }
            line(out, header, width, right);
            rows.forEach(r -> line(out, r, width, right));
            out.flush();
        }

        private static void line(PrintWriter out, String[] cells, int[] width, boolean[] right) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < cells.length; c++) {
                String cell = cells[c];
                String pad = " ".repeat(width[c] - cell.length());
                boolean last = c == cells.length - 1;
                sb.append(right[c] ? pad + cell : last ? cell : cell + pad);
                if (!last) {
                    sb.append("  ");
                }
            }
            out.println(sb.toString().stripTrailing());
        }

        private static boolean numeric(String s) {
            return NUMBER.matcher(s).matches();
        }
    }
}
