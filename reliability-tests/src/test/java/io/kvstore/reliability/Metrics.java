package io.kvstore.reliability;

import io.kvstore.server.KvServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a series of a server's Prometheus exposition (what /metrics serves) in tests. */
final class Metrics {

    private Metrics() {
    }

    /** Sum of every sample of {@code name} whose label text contains {@code labelPart} ("" for all). */
    static double sum(KvServer server, String name, String labelPart) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        server.metrics().scrape(out);
        double total = 0;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})?\\s+(\\S+)")
                .matcher(out.toString(StandardCharsets.UTF_8));
        while (m.find()) {
            if (m.group(1) == null ? labelPart.isEmpty() : m.group(1).contains(labelPart)) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }
}
