package io.kvstore.server.auth;

import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.ErrorCode;

import java.util.List;
import java.util.Map;

/**
 * Decides whether a HELLO's token may open a session on its namespace. With no tokens configured every HELLO
 * is accepted (the embedded default for a loopback-only sidecar); otherwise the token must be configured and
 * list the namespace's tenant, or {@code *}. Immutable and thread-safe.
 */
public final class Authenticator {

    private final Map<String, List<String>> tokens;

    public Authenticator(Map<String, List<String>> tokens) {
        this.tokens = Map.copyOf(tokens);
    }

    /** {@link ErrorCode#OK}, {@link ErrorCode#AUTH_FAILED} or {@link ErrorCode#NAMESPACE_DENIED}. */
    public ErrorCode check(String token, Namespace ns) {
        if (tokens.isEmpty()) {
            return ErrorCode.OK;
        }
        List<String> tenants = token == null ? null : tokens.get(token);
        if (tenants == null) {
            return ErrorCode.AUTH_FAILED;
        }
        return tenants.contains("*") || tenants.contains(ns.tenant()) ? ErrorCode.OK : ErrorCode.NAMESPACE_DENIED;
    }
}
