package io.kvstore.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The latency-over-time plot as SVG (no plotting library): one panel per request kind, one line per
 * configuration, the per-second p99 on a logarithmic axis (a collapse spans orders of magnitude).
 */
final class LatencySvg {

    private static final int W = 900;
    private static final int H = 220;
    private static final int LEFT = 80;
    private static final int RIGHT = 150;
    private static final int TOP = 56;
    private static final int GAP = 40;
    private static final String[] COLORS = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd"};

    private LatencySvg() {
    }

    /**
     * @param title  the plot's title
     * @param panels panel title to (configuration name to per-second values in microseconds; NaN = no request
     *               that second), in order
     */
    static String render(String title, Map<String, Map<String, List<Double>>> panels) {
        StringBuilder s = new StringBuilder();
        int height = TOP + panels.size() * (H + GAP);
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">\n", W, height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>\n", LEFT,
                escape(title)));
        int p = 0;
        for (Map.Entry<String, Map<String, List<Double>>> panel : panels.entrySet()) {
            panel(s, TOP + p * (H + GAP), panel.getKey(), panel.getValue());
            p++;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static void panel(StringBuilder s, int y0, String title, Map<String, List<Double>> lines) {
        int pw = W - LEFT - RIGHT;
        int ph = H - 30;
        double lo = Double.MAX_VALUE;
        double hi = 0;
        int n = 1;
        for (List<Double> v : lines.values()) {
            n = Math.max(n, v.size());
            for (Double x : v) {
                if (x != null && Double.isFinite(x) && x > 0) {
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                }
            }
        }
        if (hi == 0) {
            lo = 1;
            hi = 10;
        }
        double dlo = Math.floor(Math.log10(lo));
        double dhi = Math.max(dlo + 1, Math.ceil(Math.log10(hi)));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#999\"/>\n", LEFT, y0, pw, ph));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n", LEFT + 5, y0 - 6, escape(title)));
        for (double d = dlo; d <= dhi; d++) {
            double y = y0 + ph * (1 - (d - dlo) / (dhi - dlo));
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n",
                    LEFT, LEFT + pw, y, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    LEFT - 5, y + 4, micros(Math.pow(10, d))));
        }
        int k = 0;
        for (Map.Entry<String, List<Double>> line : lines.entrySet()) {
            String color = COLORS[k % COLORS.length];
            List<String> pts = new ArrayList<>();
            List<Double> v = line.getValue();
            for (int i = 0; i < v.size(); i++) {
                Double x = v.get(i);
                if (x == null || !Double.isFinite(x) || x <= 0) {
                    continue;
                }
                double px = LEFT + pw * (i + 0.5) / n;
                double py = y0 + ph * (1 - (Math.log10(x) - dlo) / (dhi - dlo));
                pts.add(String.format(Locale.ROOT, "%.1f,%.1f", px, py));
            }
            s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                    + "points=\"%s\"/>\n", color, String.join(" ", pts)));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n", LEFT + pw + 10,
                    y0 + 16 + 16 * k, color, escape(line.getKey())));
            k++;
        }
        int step = n <= 10 ? 1 : n <= 60 ? 10 : n <= 600 ? 60 : 600;
        for (int t = 0; t <= n; t += step) {
            double x = LEFT + (double) pw * t / n;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, x, y0 + ph, y0 + ph + 4, x,
                    y0 + ph + 16, t));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">second of the "
                + "measurement</text>\n", LEFT + pw / 2, y0 + ph + 30));
    }

    /** A tick label: µs, ms or s. */
    static String micros(double us) {
        if (us >= 1e6) {
            return fmt(us / 1e6) + " s";
        }
        if (us >= 1e3) {
            return fmt(us / 1e3) + " ms";
        }
        return fmt(us) + " \u00b5s";
    }

    private static String fmt(double x) {
        return x == Math.rint(x) ? String.format(Locale.ROOT, "%.0f", x) : String.format(Locale.ROOT, "%.1f", x);
    }

    static String escape(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
