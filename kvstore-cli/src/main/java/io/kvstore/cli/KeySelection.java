package io.kvstore.cli;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

/** The blocks a pin or unpin acts on: keys, or the full blocks of a token sequence in a namespace. */
final class KeySelection {

    @Parameters(paramLabel = "KEY", arity = "0..*", description = "Block keys (64 hex digits).")
    List<String> keys = List.of();

    @Option(names = "--tokens", paramLabel = "FILE",
            description = "The full blocks of these token ids (needs --namespace); '-' reads stdin.")
    String tokensFile;

    @Option(names = "--namespace", paramLabel = "NS", description = "With --tokens: " + Args.NAMESPACE_HELP)
    String namespace;

    /** The selected keys, or a usage error if none or both forms are given. */
    List<BlockKey> resolve(String command) {
        if (tokensFile != null) {
            if (!keys.isEmpty()) {
                throw new CliException(ExitCodes.USAGE, command + ": give KEY... or --tokens FILE, not both");
            }
            if (namespace == null) {
                throw new CliException(ExitCodes.USAGE, command + " --tokens needs --namespace");
            }
            List<BlockKey> out = new PrefixHasher(Args.namespace(namespace).full(command + " --tokens"))
                    .hash(Args.tokens(tokensFile));
            if (out.isEmpty()) {
                throw new CliException(ExitCodes.USAGE, command + ": " + tokensFile + " holds no full block of tokens");
            }
            return out;
        }
        if (keys.isEmpty()) {
            throw new CliException(ExitCodes.USAGE, command + ": give KEY... or --namespace NS --tokens FILE");
        }
        return Args.keys(keys);
    }
}
