package io.kvstore.server.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The dashboard served on {@code /} of the admin port: one self-contained HTML page (inline CSS and JavaScript, no
 * external assets, no build step) that polls {@code /v1/stats}, {@code /v1/counters} and {@code /v1/blocks} every
 * two seconds and draws tiers, hit ratio and bytes over time, the hottest blocks, tenants against their quota, and
 * {@code /v1/explain} for a key. The page is a resource ({@code dashboard.html}) read once.
 */
final class Dashboard {

    private static final byte[] PAGE = load();

    private Dashboard() {
    }

    /** The page's bytes (UTF-8). */
    static byte[] page() {
        return PAGE;
    }

    private static byte[] load() {
        try (InputStream in = Dashboard.class.getResourceAsStream("dashboard.html")) {
            if (in == null) {
                throw new IllegalStateException("dashboard.html is missing from the server's resources");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
