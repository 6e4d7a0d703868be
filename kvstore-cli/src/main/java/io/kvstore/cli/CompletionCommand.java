package io.kvstore.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;

/** {@code kvctl completion}: prints a bash/zsh completion script generated from the command tree. */
@Command(name = "completion", description = {"Print a bash completion script for kvctl.",
    "  ./kvstore ctl completion > kvctl.bash; alias kvctl='./kvstore ctl'; source kvctl.bash"})
final class CompletionCommand extends CtlCommand {

    @Override
    public Integer call() {
        out().print(AutoComplete.bash("kvctl", spec.root().commandLine()));
        out().flush();
        return ExitCodes.OK;
    }
}
