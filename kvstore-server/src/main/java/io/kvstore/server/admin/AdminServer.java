package io.kvstore.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.store.LevelStats;
import io.kvstore.core.store.TieredStore;
import io.kvstore.server.tier.TierFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The HTTP admin port (JDK {@code HttpServer}, loopback by default): Prometheus {@code /metrics},
 * {@code /healthz}, and JSON {@code /v1/stats}, {@code /v1/tiers}, {@code /v1/blocks/{key}}. Read-only. Runs on
 * two daemon threads of its own, never on the data path's event loops. {@link #close()} is idempotent.
 */
public final class AdminServer implements AutoCloseable {

    private final HttpServer http;
    private final ExecutorService executor;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final TieredStore store;
    private final List<TierFactory.Level> levels;
    private final Supplier<Map<String, Object>> serverInfo;
    private boolean closed;

    public AdminServer(String bindAddress, int port, TieredStore store, List<TierFactory.Level> levels,
                       ServerMetrics metrics, Supplier<Map<String, Object>> serverInfo) throws IOException {
        this.store = store;
        this.levels = levels;
        this.serverInfo = serverInfo;
        this.http = HttpServer.create(new InetSocketAddress(bindAddress, port), 64);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "kvstore-admin");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/healthz", ex -> send(ex, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8)));
        http.createContext("/metrics", ex -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream(16384);
            metrics.scrape(out);
            send(ex, 200, ServerMetrics.contentType(), out.toByteArray());
        });
        http.createContext("/v1/stats", ex -> sendJson(ex, 200, stats()));
        http.createContext("/v1/tiers", ex -> sendJson(ex, 200, tiers()));
        http.createContext("/v1/blocks/", this::block);
        http.start();
    }

    /** The bound port. */
    public int port() {
        return http.getAddress().getPort();
    }

    private Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>(serverInfo.get());
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
            out.add(m);
        }
        return out;
    }

    private void block(HttpExchange ex) throws IOException {
        String hex = ex.getRequestURI().getPath().substring("/v1/blocks/".length());
        BlockKey key;
        try {
            key = BlockKey.fromHex(hex);
        } catch (IllegalArgumentException e) {
            sendJson(ex, 400, Map.of("error", e.getMessage()));
            return;
        }
        BlockInfo info = store.info(key);
        if (info == null) {
            sendJson(ex, 404, Map.of("error", "block " + hex + " is not cached"));
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", info.meta().key().toHex());
        m.put("parent", info.meta().parent().toHex());
        m.put("position", info.meta().position());
        m.put("namespaceId", String.format("%016x", info.meta().namespaceId()));
        m.put("layoutId", info.meta().layoutId());
        m.put("lengthBytes", info.meta().length());
        m.put("crc32c", String.format("%08x", info.meta().crc32c()));
        m.put("tier", info.tier());
        m.put("pins", info.pins());
        m.put("leased", info.leased());
        m.put("hits", info.hits());
        sendJson(ex, 200, m);
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
        }
    }
}
