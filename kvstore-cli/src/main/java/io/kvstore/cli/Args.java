package io.kvstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsers of kvctl's arguments: namespaces, token files, durations and block keys. Each throws
 * {@link CliException} with {@link ExitCodes#USAGE} and a message that names the bad value.
 */
final class Args {

    /** What {@code --namespace} accepts, for the help. */
    static final String NAMESPACE_HELP = "a namespace: its 16-hex-digit id, or "
            + "model=ID,layout=DTYPE:LAYERS:KV_HEADS:HEAD_DIM:BLOCK_TOKENS[,tenant=T][,salt=S][,lora=L]";

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

    private Args() {
    }

    /** A namespace given by its id only, or fully (then its id is computed). */
    record NamespaceArg(long id, Namespace namespace) {
        String idHex() {
            return HexFormat.of().toHexDigits(id);
        }

        /** The full namespace, or a usage error saying why {@code what} needs it. */
        Namespace full(String what) {
            if (namespace == null) {
                throw new CliException(ExitCodes.USAGE, what + " needs the full namespace to hash tokens, not only its "
                        + "id: --namespace model=ID,layout=DTYPE:LAYERS:KV_HEADS:HEAD_DIM:BLOCK_TOKENS[,tenant=T]...");
            }
            return namespace;
        }
    }

    /** Parses {@link #NAMESPACE_HELP}. */
    static NamespaceArg namespace(String text) {
        String s = text.trim();
        if (s.matches("[0-9a-fA-F]{16}")) {
            return new NamespaceArg(HexFormat.fromHexDigitsToLong(s), null);
        }
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : s.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw usage("--namespace: '" + part + "' is not key=value; expected " + NAMESPACE_HELP);
            }
            kv.put(part.substring(0, eq).trim().toLowerCase(Locale.ROOT), part.substring(eq + 1).trim());
        }
        String model = kv.remove("model");
        String layout = kv.remove("layout");
        if (model == null || layout == null) {
            throw usage("--namespace needs model= and layout=; expected " + NAMESPACE_HELP);
        }
        String tenant = kv.remove("tenant");
        String salt = kv.remove("salt");
        String lora = kv.remove("lora");
        if (!kv.isEmpty()) {
            throw usage("--namespace: unknown field(s) " + kv.keySet() + "; expected " + NAMESPACE_HELP);
        }
        String[] l = layout.split(":");
        if (l.length != 5) {
            throw usage("--namespace: layout '" + layout + "' is not DTYPE:LAYERS:KV_HEADS:HEAD_DIM:BLOCK_TOKENS");
        }
        try {
            Namespace ns = new Namespace(model, new KvLayout(l[0], Integer.parseInt(l[1]), Integer.parseInt(l[2]),
                    Integer.parseInt(l[3]), Integer.parseInt(l[4])), tenant, salt, lora);
            return new NamespaceArg(ns.id(), ns);
        } catch (IllegalArgumentException e) {
            throw usage("--namespace: " + e.getMessage());
        }
    }

    /** Token ids from a file ("-" = stdin): whitespace/comma separated integers, or a JSON array of them. */
    static int[] tokens(String file) {
        String text;
        try {
            if (file.equals("-")) {
                InputStream in = System.in;
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } else {
                text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "--tokens: cannot read " + file + ": " + e, e);
        }
        String t = text.trim();
        if (t.startsWith("[") || t.startsWith("{")) {
            try {
                JsonNode n = new ObjectMapper().readTree(t);
                if (n.isObject()) {
                    n = n.path("tokens");
                }
                if (!n.isArray()) {
                    throw usage("--tokens: " + file
                            + " is JSON but not an array of token ids (or {\"tokens\": [...]})");
                }
                int[] out = new int[n.size()];
                for (int i = 0; i < out.length; i++) {
                    if (!n.get(i).canConvertToInt()) {
                        throw usage("--tokens: element " + i + " of " + file + " is not a token id: " + n.get(i));
                    }
                    out[i] = n.get(i).asInt();
                }
                return out;
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "--tokens: " + file + " is not valid JSON: "
                        + e.getMessage().lines().findFirst().orElse(""), e);
            }
        }
        if (t.isEmpty()) {
            return new int[0];
        }
        String[] parts = t.split("[\\s,]+");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw usage("--tokens: '" + parts[i] + "' in " + file + " is not a token id");
            }
        }
        return out;
    }

    /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, {@code 1d}, or ISO-8601 ({@code PT1M}). */
    static Duration duration(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(s);
        if (m.matches()) {
            double v = Double.parseDouble(m.group(1));
            long unitMillis = switch (m.group(2)) {
                case "ms" -> 1;
                case "s" -> 1000;
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                default -> 86_400_000;
            };
            return Duration.ofMillis(Math.round(v * unitMillis));
        }
        try {
            return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw usage("'" + text + "' is not a duration (e.g. 500ms, 30s, 10m, 2h)");
        }
    }

    /** Block keys, each 64 hex digits. */
    static List<BlockKey> keys(List<String> hex) {
        List<BlockKey> out = new ArrayList<>(hex.size());
        for (String h : hex) {
            try {
                out.add(BlockKey.fromHex(h.trim()));
            } catch (IllegalArgumentException e) {
                throw usage("'" + h + "' is not a block key (64 hex digits): " + e.getMessage());
            }
        }
        return out;
    }

    private static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }
}
