package io.kvstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code kvctl status}: server version and uptime; each tier's capacity, use, blocks, hits and evictions. */
@Command(name = "status", description = {"Version, uptime, and per tier: capacity, use, blocks, hits, evictions.",
    "HIT%% is the share of GET keys served by the tier (misses included in the whole); VICTIM BYTES counts the",
    "blocks its policy chose as victims, moved down or dropped. A shared remote tier adds its circuit breaker",
    "state."})
final class StatusCommand extends CtlCommand {

    @Override
    public Integer call() {
        JsonNode s = root.adminClient().get("/v1/stats");
        if (json()) {
            printJson(s);
            return ExitCodes.OK;
        }
        long hits = 0;
        for (JsonNode t : s.path("tiers")) {
            hits += t.path("hits").asLong();
        }
        long misses = s.path("misses").asLong();
        long lookups = hits + misses;
        out().printf("kvstore %s, up %s; data port %d (%s), admin %s, %d connection(s)%n",
                s.path("version").asText(), Format.millis(s.path("uptimeMillis").asLong()), s.path("port").asInt(),
                s.path("transport").asText(), root.adminAddress(), s.path("connections").asInt());
        out().printf("%d blocks cached; GET keys: %d hits, %d misses, hit ratio %s%n%n", s.path("blocks").asLong(),
                hits, misses, Format.percent(hits, lookups));
        Format.Table t = new Format.Table("TIER", "POLICY", "CAPACITY", "USED", "USE%", "BLOCKS", "HITS", "HIT%",
                "ADMITTED", "DEMOTED", "PROMOTED", "EVICTED", "VICTIM BYTES");
        for (JsonNode l : s.path("tiers")) {
            JsonNode tier = l.path("tier");
            // the default policy's admission filter, while on, refuses blocks seen less often than the next victim
            String filter = l.path("policyDetails").path("filtering").asLong() == 1 ? " (filter on)" : "";
            t.row(tier.path("name").asText(), l.path("policy").asText() + filter,
                    Format.bytes(tier.path("capacityBytes").asLong()), Format.bytes(tier.path("usedBytes").asLong()),
                    Format.percent(tier.path("usedBytes").asLong(), tier.path("capacityBytes").asLong()),
                    tier.path("blocks").asLong(), l.path("hits").asLong(), Format.percent(l.path("hits").asLong(),
                            lookups), l.path("admitted").asLong(), l.path("demotedOut").asLong(),
                    l.path("promotedIn").asLong(), l.path("evicted").asLong(),
                    Format.bytes(l.path("evictedBytes").asLong()));
        }
        t.print(out());
        for (JsonNode l : s.path("tiers")) { // a shared remote tier: its circuit breakers (docs/remote-tier.md)
            JsonNode d = l.path("tier").path("details");
            if (d.has("breaker_open")) {
                long open = d.path("breaker_open").asLong();
                out().printf("%n%s tier: circuit breaker %s; %d timeouts, %d errors, opened %d time(s), "
                                + "%d calls refused while open%n", l.path("tier").path("name").asText(),
                        open == 0 ? "closed" : "OPEN on " + open + " shard(s) (their blocks are misses)",
                        d.path("timeouts_total").asLong(), d.path("errors_total").asLong(),
                        d.path("breaker_opened_total").asLong(), d.path("breaker_rejections_total").asLong());
            }
        }
        return ExitCodes.OK;
    }
}
