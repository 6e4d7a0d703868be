package io.kvstore.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code kvctl unpin}: release one pin of each block. */
@Command(name = "unpin", description = {"Release one pin of each block (NOT_PINNED if it had none).",
    "Goes to the admin port: accepted from loopback only, with an admin token if the daemon has tokens."})
final class UnpinCommand extends ActionCommand {

    @Mixin
    KeySelection selection;

    @Override
    public Integer call() {
        return act("/v1/unpin", keysBody(selection.resolve("unpin")), "UNPINNED");
    }
}
