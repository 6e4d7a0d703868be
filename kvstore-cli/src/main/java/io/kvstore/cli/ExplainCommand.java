package io.kvstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

/**
 * {@code kvctl explain KEY}: where a block is and what happened to it (admitted, demoted, promoted, evicted,
 * deleted), with the policy that decided and why, from the daemon's bounded per-block event history.
 */
@Command(name = "explain", description = {"Where a block is, and what happened to it and why.",
    "Its history: admitted, hits, promoted, demoted, evicted, deleted, with the deciding policy. The daemon",
    "remembers the last 8 events of each of the 32768 most recently active blocks."})
final class ExplainCommand extends CtlCommand {

    @Parameters(paramLabel = "KEY", description = "The block key (64 hex digits).")
    String key;

    @Override
    public Integer call() {
        String hex = Args.keys(List.of(key)).get(0).toHex();
        JsonNode r = root.adminClient().get("/v1/explain/" + hex);
        if (json()) {
            printJson(r);
            return ExitCodes.OK;
        }
        JsonNode b = r.path("block");
        out().println("block " + hex);
        if (r.path("cached").asBoolean()) {
            out().printf("  now: in %s, %s, position %d, namespace %s, pins %d%s, %d hit(s), last access %s%n",
                    b.path("tier").asText(), Format.bytes(b.path("lengthBytes").asLong()), b.path("position").asLong(),
                    b.path("namespaceId").asText(), b.path("pins").asInt(), b.path("leased").asBoolean()
                            ? ", leased" : "", b.path("hits").asLong(),
                    Format.ago(b.path("lastAccessAgoMillis").asLong()));
        } else {
            out().printf("  now: not cached (was %s, position %d, namespace %s)%n",
                    Format.bytes(r.path("lengthBytes").asLong()), r.path("position").asLong(),
                    r.path("namespaceId").asText());
        }
        long hits = r.path("hits").asLong();
        out().printf("  hits remembered: %d%s%n%n", hits, hits == 0 ? ""
                : ", last " + Format.ago(r.path("lastHitAgoMillis").asLong()));
        Format.Table t = new Format.Table("WHEN", "EVENT", "TIER", "POLICY", "WHY");
        for (JsonNode e : r.path("events")) {
            String tier = e.path("tier").asText()
                    + (e.path("toTier").isNull() ? "" : " -> " + e.path("toTier").asText());
            t.row(Format.ago(e.path("agoMillis").asLong()), e.path("type").asText(), tier,
                    e.path("policy").isNull() ? "-" : e.path("policy").asText(), e.path("reason").asText());
        }
        t.print(out());
        return ExitCodes.OK;
    }
}
