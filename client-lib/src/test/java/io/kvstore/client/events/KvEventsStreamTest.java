package io.kvstore.client.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PutAck;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.store.LevelStats;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.events.HashFormat;
import io.kvstore.server.events.KvEvent;
import io.kvstore.server.events.KvEventCodec;
import io.kvstore.server.events.KvEventPublisher;
import io.kvstore.server.events.KvEventSubscriber;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The daemon's KV-event stream (docs/events.md) read by real subscribers over loopback ZeroMQ: a JeroMQ
 * {@link KvEventSubscriber} whose view of the daemon must equal the store's content, and a consumer written from
 * vLLM's documented format in Python ({@code tools/kv_events_consumer.py}, pyzmq and msgpack from Debian under
 * {@code /usr/bin/python3}) that must decode every batch of a daemon under load, with a lost batch recovered by
 * replay. Small tiers make every PUT demote or evict.
 */
class KvEventsStreamTest {

    static final Namespace NS = new Namespace("events/model", new KvLayout("bf16", 2, 2, 64, 16), "t", "", "");
    static final int BLOCK_BYTES = 64 << 10;

    @TempDir
    Path dir;

    static ConfigLoader config(Path dir) {
        return TestServers.config(dir).assignment("dramCapacityBytes=2MiB").assignment("nvmeCapacityBytes=8MiB")
                .assignment("kvEventsEndpoint=tcp://127.0.0.1:*")
                .assignment("kvEventsReplayEndpoint=tcp://127.0.0.1:*");
    }

    /** Tokens of chain {@code seed}: distinct per seed, so every chain's keys differ. */
    static int[] tokens(int seed, int blocks) {
        int[] t = new int[blocks * NS.layout().tokensPerBlock()];
        for (int i = 0; i < t.length; i++) {
            t[i] = seed * 1_000_003 + i * 7 + 1;
        }
        return t;
    }

    static List<BlockPayload> chain(int seed, int blocks) {
        List<ByteBuffer> payloads = new ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            byte[] b = new byte[BLOCK_BYTES];
            java.util.Arrays.fill(b, (byte) (seed * 31 + i));
            payloads.add(ByteBuffer.wrap(b));
        }
        return BlockPayload.chain(NS, tokens(seed, blocks), payloads);
    }

    /** A subscriber's view: block hash (64 bits) → media holding it; counts of events by tag and medium. */
    static final class View implements KvEventSubscriber.Handler {
        final Map<Long, Set<String>> media = new ConcurrentHashMap<>();
        final Map<Long, int[]> tokens = new ConcurrentHashMap<>();
        final Map<String, Long> counts = new ConcurrentHashMap<>();
        volatile long last = -1;

        @Override
        public void onBatch(long sequence, KvEventCodec.DecodedBatch batch) {
            for (KvEventCodec.Decoded e : batch.events()) {
                counts.merge(e.tag() + "/" + e.medium(), (long) e.hashes().length, Long::sum);
                switch (e.tag()) {
                    case "BlockStored" -> {
                        for (long h : e.hashes()) {
                            media.computeIfAbsent(h, k -> ConcurrentHashMap.newKeySet()).add(e.medium());
                            if (e.tokenIds().length > 0) {
                                tokens.put(h, e.tokenIds());
                            }
                        }
                    }
                    case "BlockRemoved" -> {
                        for (long h : e.hashes()) {
                            Set<String> s = media.get(h);
                            if (s != null) {
                                s.remove(e.medium());
                                if (s.isEmpty()) {
                                    media.remove(h);
                                }
                            }
                        }
                    }
                    case "AllBlocksCleared" -> media.clear();
                    default -> throw new AssertionError("unknown tag " + e.tag());
                }
            }
            last = sequence;
        }

        long count(String tag, String medium) {
            return counts.getOrDefault(tag + "/" + medium, 0L);
        }
    }

    static void awaitPublished(KvEventPublisher p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long seen = -2;
        while (System.nanoTime() < deadline) {
            long s = p.lastSequence();
            if (p.queued() == 0 && s == seen) {
                return;
            }
            seen = s;
            Thread.sleep(200);
        }
        throw new AssertionError("the publisher did not drain within 30 s (queued " + p.queued() + ")");
    }

    static String subscriberStack() {
        StringBuilder sb = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, st) -> {
            if (t.getName().startsWith("kv-events-sub")) {
                sb.append(t.getName()).append(' ').append(t.getState());
                for (StackTraceElement e : st) {
                    sb.append("\n  at ").append(e);
                }
            }
        });
        return sb.toString();
    }

    static LevelStats level(KvServer s, String tier) {
        return s.store().stats().stream().filter(l -> l.tier().name().equals(tier)).findFirst().orElseThrow();
    }

    @Test
    @Timeout(120)
    void aJeroMqSubscribersViewEqualsTheStoreAfterDemotionsEvictionsAndDeletes() throws Exception {
        subscribersViewEqualsTheStore(config(dir));
    }

    /** The same, with the blocks PUT through shared memory (SHM_PUT carries the token ids, SHM_COMMIT publishes). */
    @Test
    @Timeout(120)
    void theSameWithBlocksPutThroughSharedMemory() throws Exception {
        subscribersViewEqualsTheStore(config(dir).assignment("dramPersist=true")
                .assignment("dramSharedMemoryDir=" + dir.resolve("shm")));
    }

    private void subscribersViewEqualsTheStore(ConfigLoader config) throws Exception {
        try (KvServer server = TestServers.start(config);
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            KvEventPublisher pub = server.events();
            View view = new View();
            Map<Long, int[]> expectedTokens = new HashMap<>();
            try (KvEventSubscriber sub = new KvEventSubscriber(pub.endpoint(), pub.replayEndpoint(), "", view)) {
                for (int seed = 1; seed <= 40; seed++) { // 40 chains of 8 blocks: 20 MiB through a 2 MiB DRAM tier
                    List<BlockPayload> blocks = chain(seed, 8);
                    PutAck ack = client.putBlocks(NS, blocks);
                    assertThat(ack.statuses()).containsOnly(PutCode.STORED);
                    if (server.shmLeases() != null) {
                        assertThat(server.shmLeases().counters().get("reserved_blocks"))
                                .as("written through shared memory").isEqualTo(8L * seed);
                    }
                    for (BlockPayload b : blocks) {
                        expectedTokens.put(HashFormat.low64(b.meta().key()), b.tokenIds());
                    }
                }
                List<BlockKey> gone = new ArrayList<>();
                for (BlockPayload b : chain(40, 8).subList(0, 3)) {
                    gone.add(b.meta().key());
                }
                client.delete(NS, gone);
                awaitPublished(pub);
                long target = pub.lastSequence();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (view.last < target && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(view.last).as(() -> "subscriber: batches " + sub.batches() + ", reconnects " + sub.reconnects() + ", next " + sub.nextSequence()
                        + ", replayed " + sub.replayed() + ", lost " + sub.lost() + "; its thread: " + subscriberStack())
                        .isGreaterThanOrEqualTo(target);
                assertThat(sub.lost()).isZero();

                Map<Long, Set<String>> store = new HashMap<>();
                for (BlockInfo b : server.store().blocks(x -> true, Integer.MAX_VALUE)) {
                    store.put(HashFormat.low64(b.meta().key()), Set.of(KvEvent.medium(b.tier())));
                }
                assertThat(view.media).isEqualTo(store);
                for (BlockKey k : gone) {
                    assertThat(view.media).doesNotContainKey(HashFormat.low64(k));
                }
                assertThat(view.tokens.keySet()).isEqualTo(expectedTokens.keySet());
                expectedTokens.forEach((h, t) -> assertThat(view.tokens.get(h)).isEqualTo(t));

                LevelStats dram = level(server, "dram");
                LevelStats nvme = level(server, "nvme");
                assertThat(dram.demotedOut()).isPositive();
                assertThat(nvme.evicted() + nvme.tierDropped()).as("the NVMe tier evicted").isPositive();
                assertThat(view.count("BlockStored", "CPU_PINNED")).isEqualTo(dram.admitted());
                assertThat(view.count("BlockStored", "DISK")).isEqualTo(nvme.demotedIn() + nvme.admitted());
                assertThat(view.count("BlockRemoved", "CPU_PINNED") + view.count("BlockRemoved", "DISK"))
                        .as("a removal for every demotion, eviction and delete")
                        .isEqualTo(dram.demotedOut() + dram.evicted() + nvme.evicted() + gone.size());
            }
        }
    }

    @Test
    @Timeout(180)
    void aPythonConsumerFromVllmsFormatDecodesEveryBatchUnderLoadAndRecoversALostOneByReplay() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python), "/usr/bin/python3 (Debian's, with python3-zmq and python3-msgpack)");
        Path repo = Path.of("").toAbsolutePath().getParent();
        try (KvServer server = TestServers.start(config(dir))) {
            KvEventPublisher pub = server.events();
            Path ready = dir.resolve("consumer.ready");
            ProcessBuilder pb = new ProcessBuilder(python.toString(), "tools/kv_events_consumer.py", "--endpoint",
                    pub.endpoint(), "--replay", pub.replayEndpoint(), "--until-stdin", "--drop-seq", "3",
                    "--ready-file", ready.toString(), "--timeout", "150").directory(repo.toFile());
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            Process p = pb.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread pump = new Thread(() -> {
                try (InputStream in = p.getInputStream()) {
                    in.transferTo(out);
                } catch (IOException ignored) {
                    // killed
                }
            });
            pump.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!Files.exists(ready) && p.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(Files.exists(ready)).as("consumer started: " + out).isTrue();

                // load: four clients, each storing its own chains concurrently
                Map<Long, int[]> expectedTokens = new ConcurrentHashMap<>();
                Map<Long, Long> expectedParents = new ConcurrentHashMap<>();
                ExecutorService pool = Executors.newFixedThreadPool(4);
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    int worker = w;
                    done.add(pool.submit(() -> {
                        try (KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
                            for (int i = 0; i < 25; i++) {
                                List<BlockPayload> blocks = chain(100 + worker * 100 + i, 8);
                                assertThat(c.putBlocks(NS, blocks).statuses()).containsOnly(PutCode.STORED);
                                for (BlockPayload b : blocks) {
                                    BlockMeta m = b.meta();
                                    expectedTokens.put(HashFormat.low64(m.key()), b.tokenIds());
                                    if (m.position() > 0) {
                                        expectedParents.put(HashFormat.low64(m.key()), HashFormat.low64(m.parent()));
                                    }
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
                pool.shutdown();
                awaitPublished(pub);
                assertThat(pub.dropped()).isZero();
                long target = pub.lastSequence();
                try (OutputStream stdin = p.getOutputStream()) {
                    stdin.write((target + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("consumer finished").isTrue();
                pump.join(5000);
                String json = out.toString(StandardCharsets.UTF_8);
                assertThat(p.exitValue()).as(json).isZero();
                JsonNode s = new ObjectMapper().readTree(json);

                assertThat(s.get("batches").asLong()).isGreaterThanOrEqualTo(target + 1);
                assertThat(s.get("lost").asLong()).isZero();
                assertThat(s.get("cleared").asInt()).isEqualTo(1);
                assertThat(s.get("replayed").asLong()).as("batch 3 recovered by replay").isPositive();
                assertThat(s.get("gaps")).isNotEmpty();
                s.get("gaps").forEach(g -> assertThat(g.get(2).asBoolean()).as("gap %s recovered", g).isTrue());

                JsonNode tokens = s.get("tokens");
                JsonNode parents = s.get("parents");
                assertThat(tokens.size()).isEqualTo(expectedTokens.size());
                expectedTokens.forEach((h, t) -> {
                    JsonNode got = tokens.get(Long.toUnsignedString(h));
                    assertThat(got).as("BlockStored of %s carries token ids", Long.toUnsignedString(h)).isNotNull();
                    int[] ids = new int[got.size()];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = got.get(i).asInt();
                    }
                    assertThat(ids).isEqualTo(t);
                });
                expectedParents.forEach((h, par) -> assertThat(parents.get(Long.toUnsignedString(h)).asText())
                        .isEqualTo(Long.toUnsignedString(par)));

                LevelStats dram = level(server, "dram");
                LevelStats nvme = level(server, "nvme");
                assertThat(dram.demotedOut()).isPositive();
                JsonNode removed = s.get("removed");
                assertThat(removed.path("CPU_PINNED").asLong()).as("a removal for every demotion out of DRAM")
                        .isEqualTo(dram.demotedOut() + dram.evicted());
                assertThat(removed.path("DISK").asLong()).as("a removal for every eviction from NVMe")
                        .isEqualTo(nvme.evicted());
                Set<String> inStore = new TreeSet<>();
                server.store().blocks(x -> true, Integer.MAX_VALUE)
                        .forEach(b -> inStore.add(Long.toUnsignedString(HashFormat.low64(b.meta().key()))));
                Set<String> inView = new TreeSet<>();
                s.get("view").fieldNames().forEachRemaining(inView::add);
                assertThat(inView).isEqualTo(inStore);
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
