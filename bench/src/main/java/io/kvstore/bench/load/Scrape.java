package io.kvstore.bench.load;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of a daemon's {@code /metrics} (Prometheus text format), and the figures {@code bench load} takes
 * from the difference of two scrapes: counter deltas and quantiles of the request-duration histogram.
 */
final class Scrape {

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** One sample: a series name, its labels and its value. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;

    Scrape(List<Sample> samples) {
        this.samples = List.copyOf(samples);
    }

    /** Parses the text exposition format (comments and blank lines skipped). */
    static Scrape parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            Map<String, String> labels = new TreeMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            out.add(new Sample(m.group(1), Collections.unmodifiableMap(labels), parseValue(m.group(4))));
        }
        return new Scrape(out);
    }

    private static double parseValue(String v) {
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }

    /** GETs {@code http://127.0.0.1:<adminPort>/metrics}. */
    static Scrape fetch(int adminPort) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + adminPort + "/metrics")
                .openConnection();
        c.setConnectTimeout(10_000);
        c.setReadTimeout(30_000);
        try (InputStream in = c.getInputStream()) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            c.disconnect();
        }
    }

    /** Sum of the samples of {@code name} whose labels pass {@code labels}. */
    double sum(String name, Predicate<Map<String, String>> labels) {
        double s = 0;
        for (Sample x : samples) {
            if (x.name().equals(name) && labels.test(x.labels())) {
                s += x.value();
            }
        }
        return s;
    }

    /** Sum of every sample of {@code name}. */
    double sum(String name) {
        return sum(name, l -> true);
    }

    /** Sum of the samples of {@code name} with {@code label} = {@code value}. */
    double sum(String name, String label, String value) {
        return sum(name, l -> value.equals(l.get(label)));
    }

    /** The values of {@code label} among the samples of {@code name}, sorted. */
    List<String> labelValues(String name, String label) {
        return samples.stream().filter(x -> x.name().equals(name) && x.labels().containsKey(label))
                .map(x -> x.labels().get(label)).distinct().sorted().toList();
    }

    /** Cumulative bucket counts of histogram {@code name} for {@code opcode}: upper bound (seconds) to count. */
    TreeMap<Double, Double> buckets(String name, String opcode) {
        TreeMap<Double, Double> b = new TreeMap<>();
        for (Sample x : samples) {
            if (x.name().equals(name + "_bucket") && opcode.equals(x.labels().get("opcode"))) {
                b.merge(parseValue(x.labels().get("le")), x.value(), Double::sum);
            }
        }
        return b;
    }

    /**
     * Quantile {@code q} (0..1) of what histogram {@code name} observed for {@code opcode} between {@code before}
     * and {@code after}, in seconds, as Prometheus's {@code histogram_quantile} computes it: linear interpolation
     * inside the bucket the rank falls in (from 0 for the first bucket); the largest finite bound if it falls in
     * the +Inf bucket. NaN if nothing was observed.
     */
    static double quantile(Scrape before, Scrape after, String name, String opcode, double q) {
        TreeMap<Double, Double> a = after.buckets(name, opcode);
        TreeMap<Double, Double> b = before == null ? new TreeMap<>() : before.buckets(name, opcode);
        return quantile(a, b, q);
    }

    static double quantile(TreeMap<Double, Double> after, TreeMap<Double, Double> before, double q) {
        if (after.isEmpty()) {
            return Double.NaN;
        }
        double total = after.lastEntry().getValue() - before.getOrDefault(after.lastKey(), 0.0);
        if (total <= 0) {
            return Double.NaN;
        }
        double rank = q * total;
        double prevBound = 0;
        double prevCount = 0;
        double lastFinite = 0;
        for (Map.Entry<Double, Double> e : after.entrySet()) {
            double count = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            if (count >= rank) {
                if (e.getKey().isInfinite()) {
                    return lastFinite;
                }
                double inBucket = count - prevCount;
                return inBucket <= 0 ? e.getKey()
                        : prevBound + (e.getKey() - prevBound) * (rank - prevCount) / inBucket;
            }
            prevBound = e.getKey();
            prevCount = count;
            if (!e.getKey().isInfinite()) {
                lastFinite = e.getKey();
            }
        }
        return lastFinite;
    }
}
