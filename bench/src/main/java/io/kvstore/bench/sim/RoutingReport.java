package io.kvstore.bench.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The routing comparison of {@code bench hitrate --nodes N --routing A,B,...}: per routing policy, the prefix hit
 * ratio, the modelled TTFT (queue wait + prefill, {@link ClusterReplayer}'s load model) and how evenly the nodes
 * were loaded, as a text table and as an SVG of two bar charts (hit ratio; mean TTFT).
 */
final class RoutingReport {

    private RoutingReport() {
    }

    /** The table header. */
    static String header() {
        return String.format(Locale.ROOT, "%-16s %9s %9s %9s %9s %9s %9s %6s", "routing", "hit", "hit(tok)",
                "vs random", "mean s", "p99 s", "max/mean", "nodes");
    }

    /** One table row; {@code random} is the hit ratio of random routing (0 if it did not run). */
    static String row(ClusterReplayer.Result r, double random) {
        return String.format(Locale.ROOT, "%-16s %9.4f %9.4f %9s %9.3f %9.3f %9.3f %3d/%-2d", r.routing(),
                r.hitRatioBlocks(), r.hitRatioTokens(),
                random > 0 ? String.format(Locale.ROOT, "%.2fx", r.hitRatioBlocks() / random) : "-",
                r.meanTtftSeconds(), r.ttftPercentileSeconds(99), r.maxOverMeanLoad(), r.nodesUsed(), r.nodes());
    }

    /** Writes the SVG: hit ratio and mean modelled TTFT per routing policy. */
    static void plot(List<ClusterReplayer.Result> results, String title, Path file) throws IOException {
        int w = 720;
        int h = 320;
        int chartW = 300;
        int chartH = 200;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">%s</text>%n",
                w / 2, escape(title)));
        double maxHit = results.stream().mapToDouble(ClusterReplayer.Result::hitRatioBlocks).max().orElse(1);
        double maxTtft = results.stream().mapToDouble(ClusterReplayer.Result::meanTtftSeconds).max().orElse(1);
        chart(sb, results, 40, 50, chartW, chartH, "prefix hit ratio (blocks)", maxHit, true);
        chart(sb, results, 400, 50, chartW, chartH, "mean modelled TTFT (s)", maxTtft, false);
        sb.append("</svg>\n");
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    private static final String[] COLORS = {"#9e9e9e", "#78909c", "#ffb74d", "#1e88e5", "#43a047", "#8e24aa"};

    private static void chart(StringBuilder sb, List<ClusterReplayer.Result> results, int x0, int y0, int cw, int ch,
                              String label, double max, boolean hit) {
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                x0 + cw / 2, y0 - 8, escape(label)));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                x0, y0 + ch, x0 + cw, y0 + ch));
        int n = results.size();
        double slot = (double) cw / n;
        for (int i = 0; i < n; i++) {
            ClusterReplayer.Result r = results.get(i);
            double v = hit ? r.hitRatioBlocks() : r.meanTtftSeconds();
            double bh = max <= 0 ? 0 : v / max * (ch - 20);
            double bx = x0 + i * slot + slot * 0.15;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    + "fill=\"%s\"/>%n", bx, y0 + ch - bh, slot * 0.7, bh, COLORS[i % COLORS.length]));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>%n",
                    bx + slot * 0.35, y0 + ch - bh - 4, hit ? String.format(Locale.ROOT, "%.3f", v)
                            : String.format(Locale.ROOT, "%.2f", v)));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\">"
                    + "%s</text>%n", bx + slot * 0.35, y0 + ch + 14, escape(r.routing().toString())));
        }
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
