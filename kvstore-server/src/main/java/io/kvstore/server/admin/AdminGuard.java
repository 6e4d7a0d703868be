package io.kvstore.server.admin;

import com.sun.net.httpserver.HttpExchange;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * Who may change the cache through the admin port ({@code POST /v1/pin}, {@code /v1/unpin}, {@code /v1/evict}):
 * only a peer on a loopback address, with the method POST, and, when the server has auth tokens, with
 * {@code Authorization: Bearer <token>} naming a token that may use every tenant ({@code *}). Reads (GET) are not
 * guarded: the admin port binds loopback by default and serves Prometheus. Immutable and thread-safe.
 */
final class AdminGuard {

    /** Why a request was refused: the HTTP status and a one-line message. */
    record Refusal(int status, String message) {
    }

    private final Map<String, List<String>> tokens;

    AdminGuard(Map<String, List<String>> tokens) {
        this.tokens = Map.copyOf(tokens);
    }

    /** Null if {@code ex} may change the cache, else why not. */
    Refusal check(HttpExchange ex) {
        if (!"POST".equals(ex.getRequestMethod())) {
            return new Refusal(405, ex.getRequestURI().getPath() + " takes POST");
        }
        InetSocketAddress peer = ex.getRemoteAddress();
        if (peer == null || peer.getAddress() == null || !peer.getAddress().isLoopbackAddress()) {
            return new Refusal(403, "admin actions are only accepted from a loopback address");
        }
        if (tokens.isEmpty()) {
            return null;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ")) {
            return new Refusal(401, "this server requires an admin token (Authorization: Bearer ...)");
        }
        List<String> tenants = tokens.get(auth.substring("Bearer ".length()).trim());
        if (tenants == null) {
            return new Refusal(401, "unknown auth token");
        }
        if (!tenants.contains("*")) {
            return new Refusal(403, "token is not an admin token (it must allow every tenant: *)");
        }
        return null;
    }
}
