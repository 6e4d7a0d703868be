package io.kvstore.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.core.store.LookupResult;
import io.kvstore.core.store.TieredStore;
import io.kvstore.server.events.HashFormat;
import io.kvstore.server.events.KvEvent;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/query}, the pull query for routers that poll instead of subscribing to the event stream: the
 * longest run of the given blocks the daemon holds, and the tier (and event medium) of each hit. The blocks are
 * named by their 32-byte keys with a namespace id, or by token ids with the namespace (the daemon hashes them as
 * the clients do, docs/hashing.md). vLLM's 64-bit hashes cannot be asked for: they are the keys' low bits and
 * do not lead back to a key. Like a LOOKUP it is not an access: it changes no policy state and takes no lease.
 */
final class PrefixQuery {

    private static final int MAX_BLOCKS = 65_536;

    private final TieredStore store;

    PrefixQuery(TieredStore store) {
        this.store = store;
    }

    Map<String, Object> answer(JsonNode body) {
        long namespaceId;
        List<BlockKey> keys;
        if (body.has("tokens")) {
            Namespace ns = namespace(body.get("namespace"));
            JsonNode t = body.get("tokens");
            if (!t.isArray()) {
                throw new IllegalArgumentException("\"tokens\" must be an array of token ids");
            }
            if (t.size() > (long) MAX_BLOCKS * ns.layout().tokensPerBlock()) {
                throw new IllegalArgumentException("at most " + MAX_BLOCKS + " blocks of tokens per query");
            }
            int[] tokens = new int[t.size()];
            for (int i = 0; i < tokens.length; i++) {
                if (!t.get(i).canConvertToLong()) {
                    throw new IllegalArgumentException("token " + i + " is not an integer: " + t.get(i));
                }
                tokens[i] = (int) t.get(i).asLong();
            }
            namespaceId = ns.id();
            keys = new PrefixHasher(ns).hash(tokens);
        } else if (body.has("keys")) {
            JsonNode id = body.get("namespaceId");
            if (id == null || !id.isTextual() || id.asText().length() != 16) {
                throw new IllegalArgumentException("with \"keys\", give \"namespaceId\": 16 hex digits (HELLO's reply, "
                        + "or kvctl blocks)");
            }
            namespaceId = HexFormat.fromHexDigitsToLong(id.asText());
            JsonNode k = body.get("keys");
            if (!k.isArray() || k.size() > MAX_BLOCKS) {
                throw new IllegalArgumentException("\"keys\" must be an array of at most " + MAX_BLOCKS
                        + " keys of 64 hex digits");
            }
            keys = new ArrayList<>(k.size());
            k.forEach(x -> keys.add(BlockKey.fromHex(x.asText())));
        } else {
            throw new IllegalArgumentException("give \"tokens\" with \"namespace\", or \"keys\" with \"namespaceId\"");
        }
        LookupResult r = store.lookup(namespaceId, keys, 0);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("blocks", keys.size());
        m.put("hitBlocks", r.hitBlocks());
        m.put("tiers", r.tiers());
        m.put("media", r.tiers().stream().map(KvEvent::medium).toList());
        List<String> hashes = new ArrayList<>(r.hitBlocks());
        for (int i = 0; i < r.hitBlocks(); i++) {
            hashes.add(Long.toUnsignedString(HashFormat.low64(keys.get(i))));
        }
        m.put("hitHashes", hashes);
        return m;
    }

    private static Namespace namespace(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("with \"tokens\", give \"namespace\": {modelId, dtype, layers, kvHeads, "
                    + "headDim, tokensPerBlock, tenant, cacheSalt, loraId}");
        }
        try {
            return new Namespace(text(n, "modelId"), new KvLayout(text(n, "dtype"), number(n, "layers"),
                    number(n, "kvHeads"), number(n, "headDim"), number(n, "tokensPerBlock")),
                    n.path("tenant").asText(""), n.path("cacheSalt").asText(""), n.path("loraId").asText(""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("namespace: " + e.getMessage());
        }
    }

    private static String text(JsonNode n, String field) {
        if (!n.hasNonNull(field)) {
            throw new IllegalArgumentException("namespace." + field + " is missing");
        }
        return n.get(field).asText();
    }

    private static int number(JsonNode n, String field) {
        if (!n.hasNonNull(field) || !n.get(field).canConvertToInt()) {
            throw new IllegalArgumentException("namespace." + field + " must be an integer");
        }
        return n.get(field).asInt();
    }
}
