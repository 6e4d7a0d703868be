package io.kvstore.bench.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** Writes sweep results as a text table, a JSON array of {@link SweepRecord}s, and an SVG line plot. */
public final class Reports {
    private static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000"};

    private Reports() {
    }

    /** A fixed-width table, one row per record. */
    public static String table(List<SweepRecord> records) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-18s %9s %10s %10s %10s %8s %8s %10s %10s %7s%n", "policy",
                "capacity", "blocks", "hit(blk)", "hit(tok)", "opt", "/opt", "evictions", "refused", "sec"));
        for (SweepRecord r : records) {
            sb.append(String.format(Locale.ROOT, "%-18s %9s %10d %10.4f %10.4f %8s %8s %10d %10d %7.2f%n",
                    r.policy(), r.capacity(), r.capacity_blocks(), r.hit_ratio_blocks(), r.hit_ratio_tokens(),
                    orDash(r.opt_hit_ratio_blocks(), "%.4f"), orDash(r.ratio_to_opt(), "%.3f"), r.evictions(),
                    r.refused(), r.seconds()));
        }
        return sb.toString();
    }

    private static String orDash(double d, String format) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, format, d);
    }

    /** Writes the records as a JSON array (NaN written as null). */
    public static void json(List<SweepRecord> records, Path file) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (SweepRecord r : records) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("policy", r.policy());
            m.put("capacity", r.capacity());
            m.put("capacity_blocks", r.capacity_blocks());
            m.put("capacity_fraction", r.capacity_fraction());
            m.put("hit_ratio_blocks", r.hit_ratio_blocks());
            m.put("hit_ratio_tokens", r.hit_ratio_tokens());
            m.put("opt_hit_ratio_blocks", nan(r.opt_hit_ratio_blocks()));
            m.put("ratio_to_opt", nan(r.ratio_to_opt()));
            m.put("hits_per_tier", r.hits_per_tier());
            m.put("evictions", r.evictions());
            m.put("refused", r.refused());
            m.put("seconds", r.seconds());
            rows.add(m);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), rows);
    }

    private static Double nan(double d) {
        return Double.isNaN(d) ? null : d;
    }

    /**
     * An SVG plot of block hit ratio against capacity (fraction of unique blocks; log scale when the capacities
     * span a factor of ten or more), one line per policy, plus OPT when it was measured.
     */
    public static String svg(List<SweepRecord> records, String title) {
        return svg(records, title, "capacity (fraction of unique blocks", "prefix hit ratio (blocks)");
    }

    /**
     * The same plot with other axis labels ({@code xLabel} is completed with {@code ", log scale)"} or {@code ")"}).
     */
    public static String svg(List<SweepRecord> records, String title, String xLabel, String yLabel) {
        Map<String, TreeSet<double[]>> lines = new LinkedHashMap<>();
        for (SweepRecord r : records) {
            lines.computeIfAbsent(r.policy(), k -> new TreeSet<>((a, b) -> Double.compare(a[0], b[0])))
                    .add(new double[] {r.capacity_fraction(), r.hit_ratio_blocks()});
            if (!Double.isNaN(r.opt_hit_ratio_blocks()) && !r.policy().equals("opt")) {
                lines.computeIfAbsent("opt", k -> new TreeSet<>((a, b) -> Double.compare(a[0], b[0])))
                        .add(new double[] {r.capacity_fraction(), r.opt_hit_ratio_blocks()});
            }
        }
        double minX = Double.MAX_VALUE;
        double maxX = 0;
        double maxY = 0;
        for (TreeSet<double[]> pts : lines.values()) {
            for (double[] p : pts) {
                minX = Math.min(minX, p[0]);
                maxX = Math.max(maxX, p[0]);
                maxY = Math.max(maxY, p[1]);
            }
        }
        boolean log = maxX / minX >= 10;
        double yTop = Math.max(0.1, Math.ceil(maxY * 10) / 10);
        int w = 760;
        int h = 480;
        int left = 70;
        int right = 170;
        int top = 40;
        int bottom = 60;
        int pw = w - left - right;
        int ph = h - top - bottom;
        final double lo = log ? Math.log10(minX) : 0;
        final double hi = log ? Math.log10(maxX) : maxX;
        java.util.function.DoubleUnaryOperator xs = x -> left + pw * ((log ? Math.log10(x) : x) - lo)
                / Math.max(1e-12, hi - lo);
        java.util.function.DoubleUnaryOperator ys = y -> top + ph * (1 - y / yTop);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n", left,
                escape(title)));
        for (int i = 0; i <= 5; i++) {
            double y = yTop * i / 5;
            double py = ys.applyAsDouble(y);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>%n", left, py, left + pw, py,
                    left - 6, py + 4, y));
        }
        TreeSet<Double> xticks = new TreeSet<>();
        lines.values().forEach(pts -> pts.forEach(p -> xticks.add(p[0])));
        for (double x : xticks) {
            double px = xs.applyAsDouble(x);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, top, px, top + ph, px,
                    top + ph + 16, pct(x)));
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"black\"/>%n", left, top, pw, ph));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s%s)</text>%n",
                left + pw / 2, h - 18, escape(xLabel), log ? ", log scale" : ""));
        sb.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 "
                + "18 %d)\">%s</text>%n", top + ph / 2, top + ph / 2, escape(yLabel)));
        int i = 0;
        for (Map.Entry<String, TreeSet<double[]>> e : lines.entrySet()) {
            String color = COLORS[i % COLORS.length];
            String dash = e.getKey().equals("opt") ? " stroke-dasharray=\"6 4\"" : "";
            StringBuilder pts = new StringBuilder();
            for (double[] p : e.getValue()) {
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", xs.applyAsDouble(p[0]), ys.applyAsDouble(p[1])));
            }
            sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s "
                    + "points=\"%s\"/>%n", color, dash, pts.toString().trim()));
            for (double[] p : e.getValue()) {
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                        xs.applyAsDouble(p[0]), ys.applyAsDouble(p[1]), color));
            }
            int ly = top + 10 + 18 * i;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                    + "stroke-width=\"2\"%s/><text x=\"%d\" y=\"%d\">%s</text>%n", left + pw + 12, ly,
                    left + pw + 36, ly, color, dash, left + pw + 42, ly + 4, escape(e.getKey())));
            i++;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** Writes {@link #svg} to a file. */
    public static void plot(List<SweepRecord> records, String title, Path file) throws IOException {
        Files.writeString(file, svg(records, title), StandardCharsets.UTF_8);
    }

    private static String pct(double x) {
        double p = x * 100;
        return (p >= 1 ? String.format(Locale.ROOT, "%.0f%%", p) : String.format(Locale.ROOT, "%.2g%%", p));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
