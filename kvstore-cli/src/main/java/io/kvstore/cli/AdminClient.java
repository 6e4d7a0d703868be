package io.kvstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;

/**
 * kvctl's client of the daemon's HTTP admin port: GETs of the JSON views and POSTs of actions (with the token as
 * {@code Authorization: Bearer}). Every failure becomes a {@link CliException} with a one-line message and an
 * exit code: unreachable (3), refused (4), not found (1), bad input (2), anything else (5). Not thread-safe
 * (kvctl runs one command).
 */
final class AdminClient {

    private final ObjectMapper json = new ObjectMapper();
    private final HostPort address;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    AdminClient(HostPort address, String token, Duration timeout) {
        this.address = address;
        this.token = token == null ? "" : token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** The answer of a GET of {@code path} (e.g. {@code /v1/stats}) as JSON. */
    JsonNode get(String path) {
        return send(request(path).GET().build());
    }

    /** The answer of a POST of {@code body} to {@code path} as JSON. */
    JsonNode post(String path, JsonNode body) {
        try {
            return send(request(path).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body))).build());
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot encode the request: " + e.getMessage(), e);
        }
    }

    /** The text of a GET of {@code path} (for {@code /healthz}). */
    String getText(String path) {
        return exchange(request(path).GET().build()).body();
    }

    ObjectMapper json() {
        return json;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + address + path)).timeout(timeout);
        if (!token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private JsonNode send(HttpRequest req) {
        HttpResponse<String> r = exchange(req);
        JsonNode body;
        try {
            body = json.readTree(r.body());
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "admin " + address + " did not answer JSON to "
                    + req.uri().getPath() + " (HTTP " + r.statusCode() + "); is it a kvstore admin port?", e);
        }
        if (r.statusCode() == 200) {
            return body;
        }
        String msg = body.path("error").asText("HTTP " + r.statusCode());
        int code = switch (r.statusCode()) {
            case 400 -> ExitCodes.USAGE;
            case 401, 403 -> ExitCodes.REFUSED;
            case 404 -> ExitCodes.NOT_FOUND;
            default -> ExitCodes.SERVER_ERROR;
        };
        String prefix = code == ExitCodes.REFUSED ? "refused by admin " + address + ": " : "";
        throw new CliException(code, prefix + msg);
    }

    private HttpResponse<String> exchange(HttpRequest req) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNREACHABLE, "interrupted", e);
        } catch (IOException | IllegalArgumentException e) {
            throw unreachable(address, "admin", e);
        }
    }

    /** A {@link CliException} saying why {@code what} at {@code address} could not be reached. */
    static CliException unreachable(HostPort address, String what, Throwable e) {
        return unreachable(address.toString(), what, e);
    }

    /** The same for an address given as text ({@code HOST:PORT} or {@code unix:PATH}). */
    static CliException unreachable(String address, String what, Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String why;
        if (e instanceof HttpConnectTimeoutException) {
            why = "connect timed out";
        } else if (e instanceof HttpTimeoutException) {
            why = "no answer in time";
        } else if (root instanceof UnresolvedAddressException || root instanceof java.net.UnknownHostException) {
            why = "unknown host";
        } else if (root instanceof ConnectException || e instanceof ConnectException) {
            why = "connection refused";
        } else {
            String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
            return new CliException(ExitCodes.UNREACHABLE, "no valid answer from " + what + " at " + address + " ("
                    + m + "); is it a kvstore " + what + " port? see --server/--admin", e);
        }
        return new CliException(ExitCodes.UNREACHABLE, "cannot reach " + what + " at " + address + ": " + why
                + " (is `kvstore serve` running there? see --server/--admin)", e);
    }
}
