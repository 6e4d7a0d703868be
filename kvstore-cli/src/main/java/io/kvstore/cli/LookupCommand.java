package io.kvstore.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PrefixLookup;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.Namespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

/**
 * {@code kvctl lookup}: how much of a prompt is cached. Hashes the token ids into block keys exactly as a client
 * does ({@link PrefixHasher}) and sends a LOOKUP over the protocol (no lease: it changes nothing).
 */
@Command(name = "lookup", description = {"How much of a token sequence is cached, and in which tiers.",
    "Hashes the tokens into block keys and sends a LOOKUP on the data port (--server), as an inference engine",
    "would; it takes no lease and changes nothing."})
final class LookupCommand extends CtlCommand {

    @Option(names = "--namespace", required = true, paramLabel = "NS", description = Args.NAMESPACE_HELP)
    String namespace;

    @Option(names = "--tokens", required = true, paramLabel = "FILE",
            description = "Token ids: whitespace/comma separated, or a JSON array; '-' reads stdin.")
    String tokensFile;

    @Override
    public Integer call() {
        Namespace ns = Args.namespace(namespace).full("lookup");
        int[] tokens = Args.tokens(tokensFile);
        List<BlockKey> keys = new PrefixHasher(ns).hash(tokens);
        PrefixLookup r;
        if (keys.isEmpty()) {
            r = new PrefixLookup(keys, 0, List.of());
        } else {
            try (KvStoreClient c = root.dataClient()) {
                r = c.lookup(ns, keys);
            }
        }
        int tpb = ns.tokensPerBlock();
        if (json()) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("namespaceId", ns.idHex());
            o.put("tokens", tokens.length);
            o.put("tokensPerBlock", tpb);
            o.put("fullBlocks", keys.size());
            o.put("hitBlocks", r.hitBlocks());
            o.put("cachedTokens", r.hitBlocks() * tpb);
            ArrayNode blocks = o.putArray("blocks");
            for (int i = 0; i < keys.size(); i++) {
                ObjectNode b = blocks.addObject();
                b.put("index", i);
                b.put("key", keys.get(i).toHex());
                b.put("tier", i < r.hitBlocks() ? r.tiers().get(i) : null);
            }
            printJson(o);
            return ExitCodes.OK;
        }
        out().printf("namespace %s (%s, %d tokens/block): %d tokens = %d full blocks%n", ns.idHex(), ns.modelId(),
                tpb, tokens.length, keys.size());
        out().printf("cached prefix: %d of %d blocks = %d tokens (%s of the full blocks)%n%n", r.hitBlocks(),
                keys.size(), r.hitBlocks() * tpb, Format.percent(r.hitBlocks(), keys.size()));
        if (!keys.isEmpty()) {
            Format.Table t = new Format.Table("BLOCK", "TOKENS", "KEY", "TIER");
            for (int i = 0; i < keys.size(); i++) {
                t.row(i, (i * tpb) + "-" + ((i + 1) * tpb - 1), keys.get(i).toHex(),
                        i < r.hitBlocks() ? r.tiers().get(i) : i == r.hitBlocks() ? "miss" : "(after miss)");
            }
            t.print(out());
        }
        return ExitCodes.OK;
    }
}
