package io.kvstore.cli;

/**
 * A {@code HOST:PORT} address ({@code [::1]:7379} for IPv6; a bare {@code HOST} or {@code :PORT} takes the other
 * part from the default).
 */
record HostPort(String host, int port) {

    HostPort {
        if (host.isBlank()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be in 1..65535, was " + port);
        }
    }

    /** Parses {@code text}; a missing host or port comes from {@code defaults}. */
    static HostPort parse(String text, HostPort defaults) {
        String s = text.trim();
        String host = s;
        String port = null;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
            }
            host = s.substring(1, end);
            if (s.length() > end + 1) {
                if (s.charAt(end + 1) != ':') {
                    throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
                }
                port = s.substring(end + 2);
            }
        } else if (s.indexOf(':') == s.lastIndexOf(':') && s.indexOf(':') >= 0) {
            host = s.substring(0, s.indexOf(':'));
            port = s.substring(s.indexOf(':') + 1);
        }
        try {
            return new HostPort(host.isEmpty() ? defaults.host() : host,
                    port == null ? defaults.port() : Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: bad port '" + port + "'");
        }
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
