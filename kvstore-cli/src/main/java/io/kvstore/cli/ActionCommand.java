package io.kvstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvstore.core.key.BlockKey;

import java.util.List;
import java.util.Map;

/**
 * A state-changing command (pin, unpin, evict): POSTs to the admin port and prints what happened to each key.
 * Exits {@link ExitCodes#OK} if at least one block got {@code success}, else {@link ExitCodes#NOT_FOUND}.
 */
abstract class ActionCommand extends CtlCommand {

    /** POSTs {@code body} to {@code path} and reports; {@code success} is the status that counts as done. */
    int act(String path, ObjectNode body, String success) {
        JsonNode r = root.adminClient().post(path, body);
        if (json()) {
            printJson(r);
        } else {
            if (r.has("results")) {
                Format.Table t = new Format.Table("KEY", "STATUS", "TIER");
                for (JsonNode o : r.path("results")) {
                    t.row(o.path("key").asText(), o.path("status").asText(), o.path("tier").asText("-"));
                }
                t.print(out());
            }
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<String, JsonNode> c : r.path("counts").properties()) {
                sb.append(sb.isEmpty() ? "" : ", ").append(c.getValue().asLong()).append(' ').append(c.getKey());
            }
            out().println(sb.isEmpty() ? "no blocks matched" : sb.toString());
            out().flush();
        }
        return r.path("counts").path(success).asLong() > 0 ? ExitCodes.OK : ExitCodes.NOT_FOUND;
    }

    /** A request body {@code {"keys": [...]}}. */
    ObjectNode keysBody(List<BlockKey> keys) {
        ObjectNode body = root.adminClient().json().createObjectNode();
        ArrayNode a = body.putArray("keys");
        keys.forEach(k -> a.add(k.toHex()));
        return body;
    }
}
