package io.kvstore.server.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.server.events.HashFormat;
import io.kvstore.server.events.KvEventCodec;
import io.kvstore.server.events.KvEventSubscriber;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code kvstore index}: a cache-aware routing service. It subscribes to the KV-event streams of kvstore daemons
 * and vLLM engines (the same format), keeps one {@link PrefixIndex} of which endpoint holds which block in which
 * medium, and answers over HTTP:
 * <ul>
 *   <li>{@code POST /v1/score}: block hashes (or token ids with a kvstore namespace, hashed as the clients do) →
 *       per endpoint the longest leading run it holds and its score (blocks weighted by medium);</li>
 *   <li>{@code POST /v1/route}: the endpoint to send the request to once load is counted, by
 *       {@link PrefixLoadRule} (the simulator's {@code prefix-load} policy): a request continuing a prefix to the
 *       lowest {@code wait + missWeight x missTokens / prefillTokensPerSecond}, where {@code wait} is the prefill
 *       the index has already routed there and not yet modelled as done; a new chain to the endpoint whose cache
 *       was asked for the fewest tokens lately among those that can start it soon;</li>
 *   <li>{@code GET /v1/endpoints}, {@code GET /metrics}, {@code GET /healthz}.</li>
 * </ul>
 *
 * <h2>Staying right</h2>
 * Each endpoint's events apply in sequence order ({@link KvEventSubscriber}: gaps filled by replay). An endpoint
 * that sends nothing for {@code silenceMillis} (a kvstore daemon sends an empty batch every second when idle) is
 * presumed dead: its blocks are forgotten and it gets no requests until it speaks again; a publisher that starts
 * over (a restarted daemon: its sequence goes back, its first batch clears) is re-read from sequence 0.
 */
public final class IndexService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IndexService.class);
    private static final int MAX_BODY_BYTES = 16 << 20;

    /** One publisher to subscribe to. */
    public record Endpoint(String name, String events, String replay) {
    }

    /**
     * Settings.
     *
     * @param endpoints             publishers (at most {@link PrefixIndex#MAX_ENDPOINTS})
     * @param bindAddress           HTTP address
     * @param port                  HTTP port (0 = any free port)
     * @param silenceMillis         an endpoint silent this long is presumed dead
     * @param maxBlocks             blocks the index holds at most (32 bytes each)
     * @param prefillTokensPerSecond one endpoint's prefill speed, for the load model
     * @param missWeight            weight of the tokens an endpoint would prefill against the wait queued on it
     * @param blockTokens           tokens per block when a request gives hashes without a token count
     */
    public record Settings(List<Endpoint> endpoints, String bindAddress, int port, long silenceMillis, int maxBlocks,
                           double prefillTokensPerSecond, double missWeight, int blockTokens) {
        public Settings {
            endpoints = List.copyOf(endpoints);
            if (endpoints.isEmpty() || endpoints.size() > PrefixIndex.MAX_ENDPOINTS) {
                throw new IllegalArgumentException("--endpoint: give 1.." + PrefixIndex.MAX_ENDPOINTS + " endpoints, got "
                        + endpoints.size());
            }
            if (silenceMillis < 1 || maxBlocks < 1 || !(prefillTokensPerSecond > 0) || missWeight < 0
                    || blockTokens < 1) {
                throw new IllegalArgumentException("--silence-millis, --max-blocks, --prefill-tokens-per-second and "
                        + "--block-tokens must be > 0, --miss-weight >= 0");
            }
        }
    }

    private final Settings settings;
    private final PrefixIndex index;
    private final PrefixLoadRule rule; // guarded by this
    private final SplittableRandom tieBreak = new SplittableRandom(); // guarded by this
    private final List<EndpointState> states = new ArrayList<>();
    private final HttpServer http;
    private final ExecutorService executor;
    private final Thread watchdog;
    private final ObjectMapper json = new ObjectMapper();
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private volatile boolean running = true;

    /** One endpoint's subscriber, liveness and modelled queue. */
    private final class EndpointState implements KvEventSubscriber.Handler {
        final int id;
        final Endpoint endpoint;
        final KvEventSubscriber subscriber;
        volatile boolean live;
        final AtomicLong routed = new AtomicLong();
        final AtomicLong restarts = new AtomicLong();

        EndpointState(int id, Endpoint endpoint) {
            this.id = id;
            this.endpoint = endpoint;
            this.subscriber = new KvEventSubscriber(endpoint.events(), endpoint.replay(), "", this);
        }

        @Override
        public void onBatch(long sequence, KvEventCodec.DecodedBatch batch) {
            if (!live) {
                live = true;
                LOG.info("endpoint {} ({}) is live", endpoint.name(), endpoint.events());
            }
            for (KvEventCodec.Decoded e : batch.events()) {
                index.apply(id, e);
            }
        }

        @Override
        public void onRestart() {
            restarts.incrementAndGet();
            index.clear(id);
            LOG.info("endpoint {} started over: its blocks are forgotten, its stream re-read", endpoint.name());
        }
    }

    public IndexService(Settings settings) throws IOException {
        this.settings = settings;
        this.index = new PrefixIndex(settings.maxBlocks());
        this.rule = new PrefixLoadRule(settings.endpoints().size(),
                PrefixLoadRule.Settings.defaults(settings.prefillTokensPerSecond()).withMissWeight(settings.missWeight()));
        for (int i = 0; i < settings.endpoints().size(); i++) {
            states.add(new EndpointState(i, settings.endpoints().get(i)));
        }
        registerMetrics();
        this.http = HttpServer.create(new InetSocketAddress(settings.bindAddress(), settings.port()), 64);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "kvstore-index-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/v1/score", ex -> post(ex, this::score));
        http.createContext("/v1/route", ex -> post(ex, this::route));
        http.createContext("/v1/endpoints", ex -> send(ex, 200, json.writeValueAsBytes(endpoints())));
        http.createContext("/healthz", ex -> send(ex, 200, "ok\n".getBytes(StandardCharsets.UTF_8)));
        http.createContext("/metrics", ex -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
            ex.getResponseHeaders().set("Content-Type", PrometheusTextFormatWriter.CONTENT_TYPE);
            send(ex, 200, out.toByteArray());
        });
        http.start();
        this.watchdog = new Thread(this::watch, "kvstore-index-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        LOG.info("kvstore index ready: http://{}:{}, {} endpoints, at most {} blocks ({} MiB)",
                settings.bindAddress(), port(), states.size(), index.capacity(), index.footprintBytes() >> 20);
    }

    /** The bound HTTP port. */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The index. */
    public PrefixIndex index() {
        return index;
    }

    /** True if endpoint {@code i} (in the order given) is live. */
    public boolean live(int i) {
        return states.get(i).live;
    }

    private void watch() {
        while (running) {
            long now = System.nanoTime();
            for (EndpointState s : states) {
                if (s.live && now - s.subscriber.lastHeardNanos() > settings.silenceMillis() * 1_000_000L) {
                    s.live = false;
                    index.clear(s.id);
                    s.subscriber.reset();
                    LOG.info("endpoint {} silent for {} ms: presumed dead, its blocks forgotten", s.endpoint.name(),
                            settings.silenceMillis());
                }
            }
            try {
                Thread.sleep(Math.max(10, Math.min(200, settings.silenceMillis() / 5)));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- queries

    /** A parsed request: the block hashes and the prompt's token count. */
    private record Query(long[] hashes, long tokens) {
    }

    private Query query(JsonNode body) {
        if (body.has("tokens")) {
            Namespace ns = namespace(body.get("namespace"));
            JsonNode t = body.get("tokens");
            if (!t.isArray()) {
                throw new IllegalArgumentException("\"tokens\" must be an array of token ids");
            }
            int[] tokens = new int[t.size()];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (int) t.get(i).asLong();
            }
            List<BlockKey> keys = new PrefixHasher(ns).hash(tokens);
            long[] hashes = new long[keys.size()];
            for (int i = 0; i < hashes.length; i++) {
                hashes[i] = HashFormat.low64(keys.get(i));
            }
            return new Query(hashes, tokens.length);
        }
        JsonNode h = body.get("hashes");
        if (h == null || !h.isArray()) {
            throw new IllegalArgumentException("give \"hashes\": [block hash, ...] (integers as the events carry them, "
                    + "or decimal strings), or \"tokens\" with a kvstore \"namespace\"");
        }
        long[] hashes = new long[h.size()];
        for (int i = 0; i < hashes.length; i++) {
            JsonNode x = h.get(i);
            hashes[i] = x.isTextual() ? Long.parseUnsignedLong(x.asText()) : x.bigIntegerValue().longValue();
        }
        long tokens = body.path("tokenCount").asLong((long) hashes.length * settings.blockTokens());
        return new Query(hashes, tokens);
    }

    private Map<String, Object> score(JsonNode body) {
        Query q = query(body);
        PrefixIndex.Match[] m = index.match(q.hashes(), states.size());
        List<Map<String, Object>> out = new ArrayList<>();
        for (EndpointState s : states) {
            out.add(matchJson(s, m[s.id]));
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("blocks", q.hashes().length);
        r.put("endpoints", out);
        return r;
    }

    private Map<String, Object> matchJson(EndpointState s, PrefixIndex.Match m) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("endpoint", s.endpoint.name());
        e.put("live", s.live);
        e.put("prefixBlocks", m.blocks());
        e.put("score", m.score());
        Map<String, Integer> media = new LinkedHashMap<>();
        for (PrefixIndex.Medium md : PrefixIndex.Medium.values()) {
            if (m.media()[md.ordinal()] > 0) {
                media.put(md.name(), m.media()[md.ordinal()]);
            }
        }
        e.put("media", media);
        return e;
    }

    private Map<String, Object> route(JsonNode body) {
        Query q = query(body);
        PrefixIndex.Match[] m = index.match(q.hashes(), states.size());
        double perBlock = q.hashes().length == 0 ? 0 : (double) q.tokens() / q.hashes().length;
        long[] cached = new long[states.size()];
        boolean[] live = new boolean[states.size()];
        boolean anyLive = false;
        for (EndpointState s : states) {
            cached[s.id] = Math.round(m[s.id].blocks() * perBlock);
            live[s.id] = s.live;
            anyLive |= s.live;
        }
        if (!anyLive) {
            throw new Unavailable("no endpoint is live");
        }
        PrefixLoadRule.Decision d;
        synchronized (this) {
            d = rule.route(System.nanoTime() / 1e9, q.tokens(), cached, live, tieBreak);
        }
        List<Map<String, Object>> candidates = new ArrayList<>();
        for (EndpointState s : states) {
            if (live[s.id]) {
                Map<String, Object> c = matchJson(s, m[s.id]);
                c.put("queuedSeconds", d.queuedSeconds()[s.id]);
                c.put("cost", d.cost()[s.id]);
                candidates.add(c);
            }
        }
        EndpointState best = states.get(d.endpoint());
        best.routed.incrementAndGet();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("endpoint", best.endpoint.name());
        r.put("prefixBlocks", m[best.id].blocks());
        r.put("blocks", q.hashes().length);
        r.put("placed", d.placed());
        r.put("candidates", candidates);
        return r;
    }

    private List<Map<String, Object>> endpoints() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (EndpointState s : states) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("endpoint", s.endpoint.name());
            e.put("events", s.endpoint.events());
            e.put("replay", s.endpoint.replay());
            e.put("live", s.live);
            e.put("batches", s.subscriber.batches());
            e.put("replayed", s.subscriber.replayed());
            e.put("lost", s.subscriber.lost());
            e.put("restarts", s.restarts.get());
            e.put("routed", s.routed.get());
            out.add(e);
        }
        return out;
    }

    private static Namespace namespace(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("with \"tokens\", give \"namespace\": {modelId, dtype, layers, kvHeads, "
                    + "headDim, tokensPerBlock, tenant, cacheSalt, loraId}");
        }
        try {
            return new Namespace(n.path("modelId").asText(""), new KvLayout(n.path("dtype").asText(""),
                    n.path("layers").asInt(), n.path("kvHeads").asInt(), n.path("headDim").asInt(),
                    n.path("tokensPerBlock").asInt()), n.path("tenant").asText(""), n.path("cacheSalt").asText(""),
                    n.path("loraId").asText(""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("namespace: " + e.getMessage());
        }
    }

    // ----------------------------------------------------------------------------------------------- plumbing

    private void registerMetrics() {
        GaugeWithCallback.builder().name("kvstore_index_blocks").help("Blocks indexed")
                .callback(cb -> cb.call(index.size())).register(registry);
        GaugeWithCallback.builder().name("kvstore_index_capacity_blocks").help("Blocks the index may hold")
                .callback(cb -> cb.call(index.capacity())).register(registry);
        GaugeWithCallback.builder().name("kvstore_index_memory_bytes").help("Memory of the index's arrays")
                .callback(cb -> cb.call(index.footprintBytes())).register(registry);
        CounterWithCallback.builder().name("kvstore_index_not_indexed_blocks")
                .help("Stored blocks not indexed because the index was full")
                .callback(cb -> cb.call(index.notIndexed())).register(registry);
        CounterWithCallback.builder().name("kvstore_index_events_applied").help("Events applied")
                .callback(cb -> cb.call(index.applied())).register(registry);
        GaugeWithCallback.builder().name("kvstore_index_endpoint_live").help("1 if the endpoint is live")
                .labelNames("endpoint").callback(cb -> states.forEach(s -> cb.call(s.live ? 1 : 0, s.endpoint.name())))
                .register(registry);
        CounterWithCallback.builder().name("kvstore_index_batches").help("Event batches applied, by endpoint")
                .labelNames("endpoint")
                .callback(cb -> states.forEach(s -> cb.call(s.subscriber.batches(), s.endpoint.name())))
                .register(registry);
        CounterWithCallback.builder().name("kvstore_index_replayed_batches").help("Batches recovered by replay")
                .labelNames("endpoint")
                .callback(cb -> states.forEach(s -> cb.call(s.subscriber.replayed(), s.endpoint.name())))
                .register(registry);
        CounterWithCallback.builder().name("kvstore_index_lost_batches").help("Batches lost for good (gaps)")
                .labelNames("endpoint")
                .callback(cb -> states.forEach(s -> cb.call(s.subscriber.lost(), s.endpoint.name())))
                .register(registry);
        CounterWithCallback.builder().name("kvstore_index_routed").help("Requests routed, by endpoint")
                .labelNames("endpoint")
                .callback(cb -> states.forEach(s -> cb.call(s.routed.get(), s.endpoint.name()))).register(registry);
    }

    private interface Handler {
        Object apply(JsonNode body);
    }

    private static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    private void post(HttpExchange ex, Handler h) throws IOException {
        try {
            if (!"POST".equals(ex.getRequestMethod())) {
                send(ex, 405, error(ex.getRequestURI().getPath() + " takes POST with a JSON body"));
                return;
            }
            byte[] in;
            try (InputStream is = ex.getRequestBody()) {
                in = is.readNBytes(MAX_BODY_BYTES + 1);
            }
            if (in.length > MAX_BODY_BYTES) {
                send(ex, 413, error("request body over " + MAX_BODY_BYTES + " bytes"));
                return;
            }
            JsonNode body = json.readTree(in);
            if (body == null || !body.isObject()) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            send(ex, 200, json.writeValueAsBytes(h.apply(body)));
        } catch (Unavailable e) {
            send(ex, 503, error(e.getMessage()));
        } catch (IllegalArgumentException | IOException e) {
            send(ex, 400, error(String.valueOf(e.getMessage())));
        }
    }

    private byte[] error(String message) throws IOException {
        return json.writeValueAsBytes(Map.of("error", message));
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (!ex.getResponseHeaders().containsKey("Content-Type")) {
            ex.getResponseHeaders().set("Content-Type", "application/json");
        }
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        running = false;
        watchdog.interrupt();
        http.stop(0);
        executor.shutdownNow();
        states.forEach(s -> s.subscriber.close());
    }
}
