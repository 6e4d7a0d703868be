package io.kvstore.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.EventHistory;
import io.kvstore.core.store.LevelStats;
import io.kvstore.core.store.TieredStore;
import io.kvstore.server.tier.TierFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The HTTP admin port (JDK {@code HttpServer}, loopback by default): Prometheus {@code /metrics},
 * {@code /healthz} ({@code ok}, or {@code degraded: ...} while a shared tier's breaker is open), and JSON {@code /v1/stats}, {@code /v1/tiers}, {@code /v1/counters}, {@code /v1/blocks},
 * {@code /v1/blocks/{key}}, {@code /v1/explain/{key}} (reads, GET only: another method is 405), {@code POST
 * /v1/query} (a read), the dashboard on {@code /} ({@link Dashboard}); and {@code POST /v1/pin}, {@code /v1/unpin},
 * {@code /v1/evict} (actions, guarded by {@link AdminGuard}: loopback peers only, and an admin token when the
 * server has tokens). Bad input is answered 400 with {@code {"error": ...}}. Runs on two daemon threads of its
 * own, never on the data path's event loops. {@link #close()} is idempotent.
 */
public final class AdminServer implements AutoCloseable {

    /** The server's version (the Maven project version). */
    public static final String VERSION = version();

    private static final int MAX_BODY_BYTES = 4 << 20;
    private static final int MAX_KEYS = 65_536;

    private final HttpServer http;
    private final ExecutorService executor;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final TieredStore store;
    private final List<TierFactory.Level> levels;
    private final Supplier<Map<String, Object>> serverInfo;
    private final ServerMetrics metrics;
    private final BlockViews views;
    private final AdminActions actions;
    private final AdminGuard guard;
    private final long startedNanos = System.nanoTime();
    private final long startedEpochMillis = System.currentTimeMillis();
    private boolean closed;

    /** A read-only admin server: no event history (explain answers 404), actions refused unless on loopback. */
    public AdminServer(String bindAddress, int port, TieredStore store, List<TierFactory.Level> levels,
                       ServerMetrics metrics, Supplier<Map<String, Object>> serverInfo) throws IOException {
        this(bindAddress, port, store, levels, metrics, serverInfo, new EventHistory(1, 1), Map.of());
    }

    /**
     * @param history    the store's event history (a listener of the store), for {@code /v1/explain}
     * @param authTokens the server's auth tokens; when non-empty, actions need one that allows {@code *}
     */
    public AdminServer(String bindAddress, int port, TieredStore store, List<TierFactory.Level> levels,
                       ServerMetrics metrics, Supplier<Map<String, Object>> serverInfo, EventHistory history,
                       Map<String, List<String>> authTokens) throws IOException {
        this.store = store;
        this.levels = levels;
        this.serverInfo = serverInfo;
        this.metrics = metrics;
        this.views = new BlockViews(store, history);
        this.actions = new AdminActions(store);
        this.guard = new AdminGuard(authTokens);
        this.http = HttpServer.create(new InetSocketAddress(bindAddress, port), 64);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "kvstore-admin");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", read(this::dashboard));
        http.createContext("/healthz", read(ex -> send(ex, 200, "text/plain",
                health().getBytes(StandardCharsets.UTF_8))));
        http.createContext("/metrics", read(ex -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream(16384);
            metrics.scrape(out);
            send(ex, 200, ServerMetrics.contentType(), out.toByteArray());
        }));
        http.createContext("/v1/stats", read(ex -> sendJson(ex, 200, stats())));
        http.createContext("/v1/tiers", read(ex -> sendJson(ex, 200, tiers())));
        http.createContext("/v1/counters", read(ex -> sendJson(ex, 200, counters())));
        http.createContext("/v1/blocks/", read(this::block));
        http.createContext("/v1/blocks", read(ex -> answer(ex, () -> {
            Map<String, String> q = query(ex);
            String ns = q.get("namespace");
            String tier = q.get("tier");
            if (tier != null && !store.tierNames().contains(tier)) {
                throw new IllegalArgumentException("unknown tier '" + tier + "'; tiers: " + store.tierNames());
            }
            return views.list(tier, ns == null ? null : namespaceId(ns),
                    Integer.parseInt(q.getOrDefault("limit", "20")),
                    BlockViews.Sort.parse(q.getOrDefault("sort", "recent")));
        })));
        http.createContext("/v1/explain/", read(ex -> answer(ex, () -> {
            String hex = ex.getRequestURI().getPath().substring("/v1/explain/".length());
            Map<String, Object> m = views.explain(BlockKey.fromHex(hex), store.tierNames());
            if (m == null) {
                throw new NotFound("block " + hex + " is not cached and has no remembered history");
            }
            return m;
        })));
        PrefixQuery prefixQuery = new PrefixQuery(store);
        http.createContext("/v1/query", ex -> read(ex, prefixQuery::answer));
        http.createContext("/v1/pin", ex -> action(ex, b -> actions.pin(keys(b), b.path("ttlMillis").asLong(0))));
        http.createContext("/v1/unpin", ex -> action(ex, body -> actions.unpin(keys(body))));
        http.createContext("/v1/evict", ex -> action(ex, body -> {
            if (body.path("all").asBoolean(false)) {
                return actions.evictAll(null);
            }
            if (body.hasNonNull("namespace")) {
                return actions.evictAll(namespaceId(body.get("namespace").asText()));
            }
            return actions.evict(keys(body));
        }));
        http.start();
    }

    /** Wraps a read: GET only, anything else is answered 405 with {@code Allow: GET}. */
    private HttpHandler read(HttpHandler h) {
        return ex -> {
            String m = ex.getRequestMethod();
            if (!m.equals("GET")) {
                ex.getResponseHeaders().set("Allow", "GET");
                sendJson(ex, 405, Map.of("error", m + " is not allowed on " + ex.getRequestURI().getPath()
                        + "; it is read-only (GET)"));
                return;
            }
            h.handle(ex);
        };
    }

    /** {@code /}: the dashboard (one self-contained page); any other unknown path is 404. */
    private void dashboard(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (!path.equals("/") && !path.equals("/index.html")) {
            sendJson(ex, 404, Map.of("error", "no such path: " + path + "; see / for the dashboard, /metrics, "
                    + "/healthz, /v1/stats, /v1/tiers, /v1/counters, /v1/blocks, /v1/explain/{key}"));
            return;
        }
        send(ex, 200, "text/html; charset=utf-8", Dashboard.page());
    }

    /** The bound port. */
    public int port() {
        return http.getAddress().getPort();
    }

    private Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>(serverInfo.get());
        m.put("version", VERSION);
        m.put("startedEpochMillis", startedEpochMillis);
        m.put("uptimeMillis", uptimeMillis());
        m.put("misses", metrics.traffic().misses());
        m.put("blocks", store.size());
        List<Object> tiers = new ArrayList<>();
        for (LevelStats s : store.stats()) {
            tiers.add(s);
        }
        m.put("tiers", tiers);
        return m;
    }

    private List<Object> tiers() {
        List<Object> out = new ArrayList<>();
        List<LevelStats> stats = store.stats();
        for (int i = 0; i < levels.size(); i++) {
            TierFactory.Level l = levels.get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", l.name());
            m.put("implementation", l.spec().tier().getClass().getSimpleName());
            m.put("policy", stats.get(i).policy());
            m.put("capacityBytes", l.spec().tier().capacityBytes());
            m.put("usedBytes", l.spec().tier().usedBytes());
            m.put("blocks", l.spec().tier().blockCount());
            m.put("highWatermark", l.spec().highWatermark());
            m.put("lowWatermark", l.spec().lowWatermark());
            m.put("acceptsWrites", l.spec().acceptsWrites());
            m.put("takesPromotions", l.spec().takesPromotions());
            m.put("inMemory", l.inMemory());
            m.put("durable", l.durable());
            m.put("shared", l.spec().tier().shared());
            m.put("details", stats.get(i).tier().details());
            m.put("policyDetails", stats.get(i).policyDetails());
            out.add(m);
        }
        return out;
    }

    /** Cumulative counters for {@code kvctl top}: the client takes differences between two reads. */
    private Map<String, Object> counters() {
        ServerMetrics.Traffic t = metrics.traffic();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("uptimeMillis", uptimeMillis());
        m.put("misses", t.misses());
        List<Object> tiers = new ArrayList<>();
        for (LevelStats s : store.stats()) {
            String name = s.tier().name();
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("name", name);
            tm.put("hits", t.hits().getOrDefault(name, 0L));
            tm.put("readBytes", t.readBytes().getOrDefault(name, 0L));
            tm.put("writtenBytes", t.writtenBytes().getOrDefault(name, 0L));
            tm.put("admitted", s.admitted());
            tm.put("demotedOut", s.demotedOut());
            tm.put("promotedIn", s.promotedIn());
            tm.put("evicted", s.evicted());
            tm.put("usedBytes", s.tier().usedBytes());
            tm.put("capacityBytes", s.tier().capacityBytes());
            tiers.add(tm);
        }
        m.put("tiers", tiers);
        return m;
    }

    /**
     * {@code ok}, or {@code degraded: ...} (still HTTP 200: the daemon serves, from its local tiers) when a shared
     * tier has shards whose circuit breaker is open: their blocks are misses until the shard is back.
     */
    private String health() {
        StringBuilder degraded = new StringBuilder();
        for (LevelStats s : store.stats()) {
            long open = s.tier().details().getOrDefault("breaker_open", 0L);
            if (open > 0) {
                degraded.append(degraded.length() == 0 ? "degraded: " : "; ").append("tier ").append(s.tier().name())
                        .append(" has ").append(open).append(" shard(s) with an open circuit breaker");
            }
        }
        return degraded.length() == 0 ? "ok\n" : degraded.append('\n').toString();
    }

    private long uptimeMillis() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    private void block(HttpExchange ex) throws IOException {
        answer(ex, () -> {
            String hex = ex.getRequestURI().getPath().substring("/v1/blocks/".length());
            Map<String, Object> m = views.block(BlockKey.fromHex(hex));
            if (m == null) {
                throw new NotFound("block " + hex + " is not cached");
            }
            return m;
        });
    }

    /** A view that may fail on bad input (400) or find nothing (404). */
    private interface View {
        Object get() throws IOException;
    }

    private void answer(HttpExchange ex, View view) throws IOException {
        Object body;
        try {
            body = view.get();
        } catch (NotFound e) {
            sendJson(ex, 404, Map.of("error", e.getMessage()));
            return;
        } catch (IllegalArgumentException | IOException e) {
            sendJson(ex, 400, Map.of("error", String.valueOf(e.getMessage())));
            return;
        }
        sendJson(ex, 200, body);
    }

    /** An action: checked by the guard, given the request's JSON body. */
    private interface Action {
        Object apply(JsonNode body);
    }

    private void action(HttpExchange ex, Action a) throws IOException {
        if (!ex.getRequestMethod().equals("POST")) {
            ex.getResponseHeaders().set("Allow", "POST");
            sendJson(ex, 405, Map.of("error", ex.getRequestMethod() + " is not allowed on "
                    + ex.getRequestURI().getPath() + "; actions are POST"));
            return;
        }
        AdminGuard.Refusal refusal = guard.check(ex);
        if (refusal != null) {
            sendJson(ex, refusal.status(), Map.of("error", refusal.message()));
            return;
        }
        read(ex, a);
    }

    /** A POST that only reads: its JSON body given to {@code a}, no guard. */
    private void read(HttpExchange ex, Action a) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            sendJson(ex, 405, Map.of("error", ex.getRequestURI().getPath() + " takes POST with a JSON body"));
            return;
        }
        answer(ex, () -> {
            byte[] in;
            try (InputStream is = ex.getRequestBody()) {
                in = is.readNBytes(MAX_BODY_BYTES + 1);
            }
            if (in.length > MAX_BODY_BYTES) {
                throw new IllegalArgumentException("request body over " + MAX_BODY_BYTES + " bytes");
            }
            JsonNode body = in.length == 0 ? json.createObjectNode() : json.readTree(in);
            if (body == null || !body.isObject()) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            return a.apply(body);
        });
    }

    private static List<BlockKey> keys(JsonNode body) {
        JsonNode keys = body.get("keys");
        if (keys == null || !keys.isArray() || keys.isEmpty()) {
            throw new IllegalArgumentException("give \"keys\": [64 hex digits, ...]");
        }
        if (keys.size() > MAX_KEYS) {
            throw new IllegalArgumentException("at most " + MAX_KEYS + " keys per request, got " + keys.size());
        }
        List<BlockKey> out = new ArrayList<>(keys.size());
        keys.forEach(k -> out.add(BlockKey.fromHex(k.asText())));
        return out;
    }

    private static long namespaceId(String hex) {
        if (hex.length() != 16) {
            throw new IllegalArgumentException("a namespace id is 16 hex digits, got '" + hex + "'");
        }
        return HexFormat.fromHexDigitsToLong(hex);
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> q = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    q.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    private static final class NotFound extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotFound(String message) {
            super(message, null, false, false);
        }
    }

    private static String version() {
        Properties p = new Properties();
        try (InputStream in = AdminServer.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // no version known
        }
        return p.getProperty("version", "unknown");
    }

    private void sendJson(HttpExchange ex, int status, Object body) throws IOException {
        byte[] b;
        try {
            b = json.writeValueAsBytes(body);
        } catch (RuntimeException e) {
            status = 500;
            b = ("{\"error\":\"" + e + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        send(ex, status, "application/json", b);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        try (ex) {
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            http.stop(0);
            executor.shutdownNow();
            actions.close();
        }
    }
}
