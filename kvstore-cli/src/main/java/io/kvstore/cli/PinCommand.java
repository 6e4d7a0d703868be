package io.kvstore.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kvctl pin}: keep blocks resident (never evicted) until unpinned or, with {@code --ttl}, for a while. */
@Command(name = "pin", description = {"Keep blocks resident: never evicted until unpinned or --ttl ends.",
    "Each pin needs one unpin. Blocks not cached are reported NOT_FOUND.",
    "Goes to the admin port: accepted from loopback only, with an admin token if the daemon has tokens."})
final class PinCommand extends ActionCommand {

    @Mixin
    KeySelection selection;

    @Option(names = "--ttl", paramLabel = "DURATION", description = "Release the pin after this long (e.g. 30m).")
    String ttl;

    @Override
    public Integer call() {
        ObjectNode body = keysBody(selection.resolve("pin"));
        if (ttl != null) {
            long ms = Args.duration(ttl).toMillis();
            if (ms < 1) {
                throw new CliException(ExitCodes.USAGE, "--ttl must be at least 1ms");
            }
            body.put("ttlMillis", ms);
        }
        return act("/v1/pin", body, "PINNED");
    }
}
