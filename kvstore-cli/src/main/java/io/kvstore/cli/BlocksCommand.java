package io.kvstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** {@code kvctl blocks}: what is cached, filtered by tier and namespace, sorted by recency, size or hits. */
@Command(name = "blocks", description = {"What is cached: key, parent, position, size, tier, last access, hits.",
    "Filtered by --tier and --namespace, the first --limit blocks in --sort order."})
final class BlocksCommand extends CtlCommand {

    @Option(names = "--tier", paramLabel = "TIER", description = "Only blocks in this tier (e.g. dram).")
    String tier;

    @Option(names = "--namespace", paramLabel = "NS", description = "Only blocks of this namespace: "
            + Args.NAMESPACE_HELP)
    String namespace;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
            description = "At most N blocks (1..10000, default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--sort", paramLabel = "ORDER", defaultValue = "recent",
            description = "recent (last access first), size (largest first) or hits (most first); "
                    + "default ${DEFAULT-VALUE}.")
    String sort;

    @Override
    public Integer call() {
        StringBuilder q = new StringBuilder("/v1/blocks?limit=").append(limit).append("&sort=").append(enc(sort));
        if (tier != null) {
            q.append("&tier=").append(enc(tier));
        }
        if (namespace != null) {
            q.append("&namespace=").append(Args.namespace(namespace).idHex());
        }
        JsonNode r = root.adminClient().get(q.toString());
        if (json()) {
            printJson(r);
            return ExitCodes.OK;
        }
        Format.Table t = new Format.Table("KEY", "PARENT", "POS", "SIZE", "TIER", "LAST ACCESS", "HITS", "PINS",
                "NAMESPACE");
        for (JsonNode b : r.path("blocks")) {
            t.row(b.path("key").asText(), b.path("parent").asText().substring(0, 16) + "..",
                    b.path("position").asLong(), Format.bytes(b.path("lengthBytes").asLong()),
                    b.path("tier").asText(), Format.ago(b.path("lastAccessAgoMillis").asLong()),
                    b.path("hits").asLong(), b.path("pins").asInt() == 0 ? "-" : b.path("pins").asText(),
                    b.path("namespaceId").asText());
        }
        t.print(out());
        out().printf("%d of %d matching blocks, by %s%n", r.path("shown").asLong(), r.path("total").asLong(),
                r.path("sort").asText());
        return ExitCodes.OK;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
