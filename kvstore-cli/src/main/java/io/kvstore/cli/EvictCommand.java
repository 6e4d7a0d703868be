package io.kvstore.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

/** {@code kvctl evict}: remove blocks from the cache (pinned blocks are kept and reported). */
@Command(name = "evict", description = {"Remove blocks from the cache: KEY..., a --namespace, or --all --yes.",
    "Pinned blocks are never removed (reported PINNED; unpin them first).",
    "Goes to the admin port: accepted from loopback only, with an admin token if the daemon has tokens."})
final class EvictCommand extends ActionCommand {

    @Parameters(paramLabel = "KEY", arity = "0..*", description = "Block keys (64 hex digits).")
    List<String> keys = List.of();

    @Option(names = "--namespace", paramLabel = "NS", description = "Every block of this namespace: "
            + Args.NAMESPACE_HELP)
    String namespace;

    @Option(names = "--all", description = "Every block of the cache (needs --yes).")
    boolean all;

    @Option(names = "--yes", description = "Confirm --all.")
    boolean yes;

    @Override
    public Integer call() {
        int forms = (keys.isEmpty() ? 0 : 1) + (namespace == null ? 0 : 1) + (all ? 1 : 0);
        if (forms != 1) {
            throw new CliException(ExitCodes.USAGE, "evict: give exactly one of KEY..., --namespace NS, --all --yes");
        }
        ObjectNode body;
        if (all) {
            if (!yes) {
                throw new CliException(ExitCodes.USAGE,
                        "evict --all removes every unpinned block of the cache; add --yes to confirm");
            }
            body = root.adminClient().json().createObjectNode().put("all", true);
        } else if (namespace != null) {
            body = root.adminClient().json().createObjectNode().put("namespace", Args.namespace(namespace).idHex());
        } else {
            body = keysBody(Args.keys(keys));
        }
        return act("/v1/evict", body, "EVICTED");
    }
}
