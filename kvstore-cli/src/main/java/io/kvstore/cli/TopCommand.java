package io.kvstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code kvctl top}: a live view like {@code redis-cli --stat}. Reads the cumulative counters of
 * {@code /v1/counters} every interval and prints the rates between two reads (the server's uptime is the
 * clock, so a slow admin answer does not distort them). On a terminal the screen is redrawn; otherwise each
 * refresh is appended. Runs until Ctrl-C, or {@code --count} refreshes.
 */
@Command(name = "top", description = {"A live view of hit, miss, byte and eviction rates per tier.",
    "Refreshed every --interval until Ctrl-C (or --count refreshes): hits/s, misses/s, bytes/s served (OUT)",
    "and stored by PUT (IN), evictions/s, demotions/s, promotions/s."})
final class TopCommand extends CtlCommand {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s",
            description = "Time between refreshes (default ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0",
            description = "Stop after N refreshes (default 0: until Ctrl-C).")
    int count;

    @Override
    public Integer call() throws InterruptedException {
        long sleepMillis = Math.max(10, Args.duration(interval).toMillis());
        if (count < 0) {
            throw new CliException(ExitCodes.USAGE, "--count must be >= 0");
        }
        AdminClient admin = root.adminClient();
        boolean redraw = !json() && System.console() != null && System.getenv("TERM") != null;
        JsonNode prev = admin.get("/v1/counters");
        for (int i = 0; count == 0 || i < count; i++) {
            Thread.sleep(sleepMillis);
            JsonNode cur = admin.get("/v1/counters");
            ObjectNode rates = rates(prev, cur, admin);
            if (json()) {
                out().println(rates.toString());
                out().flush();
            } else {
                if (redraw) {
                    out().print("\033[H\033[2J");
                }
                print(rates);
            }
            prev = cur;
        }
        return ExitCodes.OK;
    }

    private static ObjectNode rates(JsonNode prev, JsonNode cur, AdminClient admin) {
        double seconds = Math.max(1, cur.path("uptimeMillis").asLong() - prev.path("uptimeMillis").asLong()) / 1000.0;
        Map<String, JsonNode> before = new HashMap<>();
        prev.path("tiers").forEach(t -> before.put(t.path("name").asText(), t));
        ObjectNode r = admin.json().createObjectNode();
        r.put("time", LocalTime.now().format(CLOCK));
        r.put("seconds", seconds);
        r.put("missesPerSecond", (cur.path("misses").asLong() - prev.path("misses").asLong()) / seconds);
        ArrayNode tiers = r.putArray("tiers");
        for (JsonNode t : cur.path("tiers")) {
            JsonNode b = before.getOrDefault(t.path("name").asText(), admin.json().createObjectNode());
            ObjectNode o = tiers.addObject();
            o.put("name", t.path("name").asText());
            for (String f : new String[] {"hits", "readBytes", "writtenBytes", "evicted", "demotedOut", "promotedIn"}) {
                o.put(f + "PerSecond", (t.path(f).asLong() - b.path(f).asLong()) / seconds);
            }
            o.put("usedBytes", t.path("usedBytes").asLong());
            o.put("capacityBytes", t.path("capacityBytes").asLong());
        }
        return r;
    }

    private void print(JsonNode r) {
        double hits = 0;
        for (JsonNode t : r.path("tiers")) {
            hits += t.path("hitsPerSecond").asDouble();
        }
        double misses = r.path("missesPerSecond").asDouble();
        out().printf("%s  hits %s  misses %s  hit ratio %s%n", r.path("time").asText(), Format.perSecond(hits),
                Format.perSecond(misses), Format.percent(hits, hits + misses));
        Format.Table t = new Format.Table("TIER", "HITS/S", "OUT", "IN", "EVICT/S", "DEMOTE/S", "PROMOTE/S", "USED",
                "USE%");
        for (JsonNode l : r.path("tiers")) {
            t.row(l.path("name").asText(), Format.perSecond(l.path("hitsPerSecond").asDouble()),
                    Format.rate(l.path("readBytesPerSecond").asDouble()),
                    Format.rate(l.path("writtenBytesPerSecond").asDouble()),
                    Format.perSecond(l.path("evictedPerSecond").asDouble()),
                    Format.perSecond(l.path("demotedOutPerSecond").asDouble()),
                    Format.perSecond(l.path("promotedInPerSecond").asDouble()),
                    Format.bytes(l.path("usedBytes").asLong()),
                    Format.percent(l.path("usedBytes").asLong(), l.path("capacityBytes").asLong()));
        }
        t.print(out());
        out().println();
        out().flush();
    }
}
