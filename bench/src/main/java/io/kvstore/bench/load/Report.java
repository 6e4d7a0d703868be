package io.kvstore.bench.load;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turning measurements into the report: medians over runs, numbers for JSON, the text table. */
final class Report {

    private Report() {
    }

    /** {@code x} for JSON: null when it is not a finite number. */
    static Double num(double x) {
        return Double.isFinite(x) ? x : null;
    }

    /** The median of the finite values; NaN when there is none. */
    static double median(List<Double> xs) {
        return io.kvstore.bench.Medians.of(xs);
    }

    /**
     * The element-wise median of maps of the same shape (one per run): a number becomes the median of the
     * numbers at that place, a nested map the median map; anything else (text, lists) is taken from the first.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> medianOf(List<Map<String, Object>> runs) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (runs.isEmpty()) {
            return out;
        }
        for (Map.Entry<String, Object> e : runs.get(0).entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            if (v instanceof Number || v == null) {
                List<Double> xs = new ArrayList<>();
                for (Map<String, Object> r : runs) {
                    if (r.get(k) instanceof Number n) {
                        xs.add(n.doubleValue());
                    }
                }
                double m = median(xs);
                out.put(k, xs.isEmpty() ? null : num(m));
            } else if (v instanceof Map) {
                List<Map<String, Object>> sub = new ArrayList<>();
                for (Map<String, Object> r : runs) {
                    if (r.get(k) instanceof Map) {
                        sub.add((Map<String, Object>) r.get(k));
                    }
                }
                out.put(k, medianOf(sub));
            } else {
                out.put(k, v);
            }
        }
        return out;
    }

    /** The value at {@code path} (keys separated by dots) in nested maps, as a double (NaN if absent). */
    @SuppressWarnings("unchecked")
    static double at(Map<String, Object> m, String path) {
        Object o = m;
        for (String k : path.split("\\.")) {
            if (!(o instanceof Map)) {
                return Double.NaN;
            }
            o = ((Map<String, Object>) o).get(k);
        }
        return o instanceof Number n ? n.doubleValue() : o instanceof Boolean b ? (b ? 1 : 0) : Double.NaN;
    }

    /** A figure for the table: up to 4 significant digits, thousands unseparated, "-" for NaN. */
    static String fmt(double x) {
        if (!Double.isFinite(x)) {
            return "-";
        }
        double a = Math.abs(x);
        if (a >= 1000 || x == Math.rint(x) && a < 1e15) {
            return String.format(Locale.ROOT, "%.0f", x);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.1f", x);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.2f", x);
        }
        return String.format(Locale.ROOT, "%.3f", x);
    }

    /** One row of the table: a label and the values of the columns. */
    record Row(String label, List<String> cells) {
    }

    /** A plain-text table with a header, columns padded to their widest cell. */
    static String table(List<String> header, List<Row> rows) {
        int cols = header.size();
        int[] w = new int[cols];
        w[0] = header.get(0).length();
        for (Row r : rows) {
            w[0] = Math.max(w[0], r.label().length());
        }
        for (int c = 1; c < cols; c++) {
            w[c] = header.get(c).length();
            for (Row r : rows) {
                w[c] = Math.max(w[c], c - 1 < r.cells().size() ? r.cells().get(c - 1).length() : 0);
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w);
        StringBuilder sep = new StringBuilder();
        for (int c = 0; c < cols; c++) {
            sep.append(c == 0 ? "" : "  ").append("-".repeat(w[c]));
        }
        sb.append(sep).append('\n');
        for (Row r : rows) {
            List<String> cells = new ArrayList<>();
            cells.add(r.label());
            cells.addAll(r.cells());
            line(sb, cells, w);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w) {
        for (int c = 0; c < w.length; c++) {
            String s = c < cells.size() ? cells.get(c) : "";
            if (c == 0) {
                sb.append(s).append(" ".repeat(w[0] - s.length()));
            } else {
                sb.append("  ").append(" ".repeat(w[c] - s.length())).append(s);
            }
        }
        sb.append('\n');
    }
}
