package io.kvstore.server.auth;

import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.ErrorCode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a HELLO's token may open a session on its namespace. With no tokens configured every HELLO
 * is accepted (the embedded default for a loopback-only sidecar); otherwise the token must be configured and
 * list the namespace's tenant, or {@code *}.
 *
 * <p>Timing: the presented token is compared with <em>every</em> configured token, always, through SHA-256
 * digests of equal length and {@link MessageDigest#isEqual} (constant time in the content), so neither the
 * position of a match, nor a common prefix, nor the configured tokens' lengths show in the answer time.
 * Immutable and thread-safe.
 */
public final class Authenticator {

    private record Grant(byte[] digest, List<String> tenants) {
    }

    private final List<Grant> grants = new ArrayList<>();

    public Authenticator(Map<String, List<String>> tokens) {
        tokens.forEach((t, tenants) -> grants.add(new Grant(digest(t), List.copyOf(tenants))));
    }

    /** {@link ErrorCode#OK}, {@link ErrorCode#AUTH_FAILED} or {@link ErrorCode#NAMESPACE_DENIED}. */
    public ErrorCode check(String token, Namespace ns) {
        if (grants.isEmpty()) {
            return ErrorCode.OK;
        }
        Grant match = match(token);
        if (match == null) {
            return ErrorCode.AUTH_FAILED;
        }
        return match.tenants.contains("*") || match.tenants.contains(ns.tenant()) ? ErrorCode.OK
                : ErrorCode.NAMESPACE_DENIED;
    }

    /**
     * Whether {@code token} may read every tenant's blocks: true with no tokens configured or for a token granted
     * {@code *}. Shared memory is offered only to such sessions, because a mapped arena file holds every tenant's
     * blocks (docs/protocol.md, "Isolation").
     */
    public boolean mayReadEveryTenant(String token) {
        if (grants.isEmpty()) {
            return true;
        }
        Grant match = match(token);
        return match != null && match.tenants.contains("*");
    }

    /**
     * The tenants {@code token} may use ({@code *} = any), or null if it is not a configured token; with no tokens
     * configured, {@code [*]}. For the doors whose sessions name no namespace up front (the Redis protocol's AUTH).
     */
    public List<String> tenantsOf(String token) {
        if (grants.isEmpty()) {
            return List.of("*");
        }
        Grant match = match(token);
        return match == null ? null : match.tenants;
    }

    /** True if no token is configured: every session is accepted. */
    public boolean open() {
        return grants.isEmpty();
    }

    /** The grant of {@code token}, or null; compares with every configured token (no early exit). */
    private Grant match(String token) {
        byte[] presented = digest(token == null ? "" : token);
        Grant match = null;
        for (Grant g : grants) {
            if (MessageDigest.isEqual(g.digest, presented) && token != null && !token.isEmpty()) {
                match = g;
            }
        }
        return match;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
