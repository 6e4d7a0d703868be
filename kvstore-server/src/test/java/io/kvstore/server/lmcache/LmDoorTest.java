package io.kvstore.server.lmcache;

import io.kvstore.core.block.Checksums;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.core.tier.Tier;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigException;
import io.kvstore.server.door.NamedValues;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongPredicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The lm:// door against {@link LmTestClient}, a client written from LMCache's protocol; a real daemon. */
@Timeout(120)
class LmDoorTest {

    private static final int CHUNK = 4 << 20;

    @TempDir
    Path dir;
    KvServer server;

    @BeforeEach
    void start() throws Exception {
        server = TestServers.start(TestServers.config(dir).assignment("lmPort=0"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void putGetExistHealthListRoundTrip() throws Exception {
        byte[] v = random(CHUNK, 1);
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            assertThat(c.health().code()).isEqualTo(200);
            assertThat(c.exist("vllm@m@1@0@aa")).isFalse();
            assertThat(c.get("vllm@m@1@0@aa").code()).isEqualTo(400);
            c.put("vllm@m@1@0@aa", v, 1, 3, 2, 256, 8, 1024);
            assertThat(c.exist("vllm@m@1@0@aa")).isTrue();
            LmTestClient.Reply r = c.get("vllm@m@1@0@aa");
            assertThat(r.code()).isEqualTo(200);
            assertThat(r.length()).isEqualTo(CHUNK);
            assertThat(r.fmt()).isEqualTo(1);
            assertThat(r.dtype()).isEqualTo(3); // bfloat16: echoed as PUT sent it
            assertThat(r.shape()).containsExactly(2, 256, 8, 1024);
            assertThat(r.location()).isZero();
            assertThat(r.payload()).isEqualTo(v);
            assertThat(c.list().code()).isEqualTo(400); // as LMCache's own server
            c.put("vllm@m@1@0@aa", new byte[0], 2, 6, 0, 0, 0, 0); // a PUT replaces; empty values are values
            LmTestClient.Reply empty = c.get("vllm@m@1@0@aa");
            assertThat(empty.code()).isEqualTo(200);
            assertThat(empty.length()).isZero();
            assertThat(empty.dtype()).isEqualTo(6);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        List<byte[]> values = new ArrayList<>();
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            for (int i = 0; i < 16; i++) {
                values.add(random(CHUNK / 4 + i, i));
                c.put("k" + i, values.get(i), 1, 2, i, 0, 0, 0);
            }
            for (int i = 0; i < 16; i++) { // all requests first, then all replies
                c.sendGet("k" + i);
                c.send(3, "k" + i);
                c.send(3, "missing" + i);
            }
            for (int i = 0; i < 16; i++) {
                LmTestClient.Reply r = c.reply(true);
                assertThat(r.code()).isEqualTo(200);
                assertThat(r.shape()[0]).isEqualTo(i);
                assertThat(r.payload()).isEqualTo(values.get(i));
                assertThat(c.reply(false).code()).isEqualTo(200);
                assertThat(c.reply(false).code()).isEqualTo(400);
            }
        }
    }

    @Test
    void badInputClosesTheConnectionAndLosesNothing() throws Exception {
        byte[] kept = random(CHUNK, 9);
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            c.put("kept", kept, 1, 2, 1, 0, 0, 0);
            assertThat(c.exist("kept")).isTrue();
        }
        List<byte[]> bad = List.of(
                LmTestClient.header(9, "x", 0, 1, 2, 0),                 // unknown command
                LmTestClient.header(1, "x", -5, 1, 2, 0),                // negative length
                LmTestClient.header(1, "x", Integer.MAX_VALUE, 1, 2, 0), // over maxFrameBytes
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(8).getBytes()); // garbage
        for (byte[] b : bad) {
            try (LmTestClient c = new LmTestClient(server.lmPort())) {
                c.raw(b);
                assertThat(c.closedByServer()).isTrue();
            }
        }
        try (LmTestClient c = new LmTestClient(server.lmPort())) { // a PUT cut off mid-payload
            c.raw(LmTestClient.header(1, "half", CHUNK, 1, 2, 0));
            c.raw(new byte[CHUNK / 2]);
        }
        try (LmTestClient c = new LmTestClient(server.lmPort())) { // a truncated header
            c.raw(new byte[100]);
        }
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            assertThat(c.health().code()).isEqualTo(200);
            assertThat(c.exist("half")).isFalse();
            assertThat(c.get("kept").payload()).isEqualTo(kept);
        }
        assertThat(metrics()).contains("kvstore_protocol_errors_total{code=\"LM_PROTOCOL_ERROR\"} 4.0");
    }

    @Test
    void chunksAreBlocksWithChecksumsTiersAndMetrics() throws Exception {
        server.close();
        server = TestServers.start(TestServers.config(dir).assignment("lmPort=0").assignment("dramCapacityBytes=16MiB"));
        List<byte[]> values = new ArrayList<>();
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            for (int i = 0; i < 12; i++) {
                values.add(random(CHUNK, 100 + i));
                c.put("chunk" + i, values.get(i), 1, 3, 1, 2, 3, 4);
            }
            for (int i = 0; i < 12; i++) {
                assertThat(c.get("chunk" + i).payload()).isEqualTo(values.get(i));
            }
        }
        assertThat(server.store().blocks(b -> true, 100).stream().map(BlockInfo::tier).distinct().toList())
                .contains("nvme");
        NamedValues.Space space = new NamedValues(server.store(), server.quotas(), server.metrics())
                .space(LmConnection.DOOR, "", "");
        BlockInfo b = server.store().info(NamedValues.key(space, NamedValues.name("chunk0")));
        ByteBuffer stored = ByteBuffer.allocate(28 + CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        stored.putInt(CHUNK).putInt(1).putInt(3).putInt(1).putInt(2).putInt(3).putInt(4).put(values.get(0)).flip();
        assertThat(b.meta().crc32c()).isEqualTo(Checksums.crc32c(stored));
        String m = metrics();
        assertThat(m).contains("kvstore_requests_total{opcode=\"lm_put\",status=\"ok\"} 12.0");
        assertThat(m).contains("kvstore_requests_total{opcode=\"lm_get\",status=\"ok\"} 12.0");
        assertThat(m).containsPattern("kvstore_hits_total\\{namespace=\"" + space.namespace().idHex()
                + "\",tier=\"nvme\"}");
    }

    @Test
    void aPutIsReceivedIntoTierMemoryAndAClientGoneMidValueLeavesNoTrace() throws Exception {
        Tier top = server.store().tiers().get(0);
        long used = top.usedBytes();
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            c.raw(LmTestClient.header(1, "half", CHUNK, 1, 2, 0));
            c.raw(random(CHUNK / 2, 3));
            // the value is being received into pages reserved in the top tier
            awaitDetail(top, "reserved_pages", n -> n > 0);
            assertThat(top.usedBytes()).isEqualTo(used);
        } // gone mid-value
        awaitDetail(top, "reserved_pages", n -> n == 0);
        assertThat(top.usedBytes()).isEqualTo(used);
        byte[] v = random(CHUNK, 4);
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            assertThat(c.exist("half")).isFalse();
            c.put("half", v, 1, 2, 7, 0, 0, 0);
            assertThat(c.get("half").payload()).isEqualTo(v);
        }
        assertThat(top.usedBytes()).isGreaterThan(used);
        assertThat(top.stats().details()).containsEntry("reserved_pages", 0L);
    }

    @Test
    void pipelinedPutsOfOneKeyKeepTheLastValue() throws Exception {
        byte[] first = random(CHUNK, 5);
        byte[] second = random(CHUNK, 6);
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            c.put("same", first, 1, 2, 1, 0, 0, 0); // no reply: the second follows at once
            c.put("same", second, 1, 2, 2, 0, 0, 0);
            LmTestClient.Reply r = c.get("same");
            assertThat(r.shape()[0]).isEqualTo(2);
            assertThat(r.payload()).isEqualTo(second);
        }
    }

    @Test
    void theQuotaCountsAReservationAndGetsItBackWhenTheClientIsGone() throws Exception {
        server.close();
        server = TestServers.start(TestServers.config(dir).assignment("lmPort=0")
                .assignment("tenantQuotaBytes=*=10MiB"));
        Tier top = server.store().tiers().get(0);
        byte[] a = random(CHUNK, 7);
        byte[] c2 = random(CHUNK, 8);
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            c.put("a", a, 1, 2, 0, 0, 0, 0);
            assertThat(c.exist("a")).isTrue();
        }
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            c.raw(LmTestClient.header(1, "b", CHUNK, 1, 2, 0));
            c.raw(random(CHUNK / 4, 9));
            awaitDetail(top, "reserved_pages", n -> n > 0);
        }
        awaitDetail(top, "reserved_pages", n -> n == 0);
        try (LmTestClient c = new LmTestClient(server.lmPort())) {
            c.put("c", c2, 1, 2, 0, 0, 0, 0); // fits only if b's quota came back
            c.put("d", random(CHUNK, 10), 1, 2, 0, 0, 0, 0); // over the quota: not stored
            assertThat(c.get("c").payload()).isEqualTo(c2);
            assertThat(c.get("d").code()).isEqualTo(400);
            assertThat(c.get("a").payload()).isEqualTo(a);
            assertThat(c.exist("b")).isFalse();
        }
        assertThat(metrics()).contains("kvstore_requests_total{opcode=\"lm_put\",status=\"quota_exceeded\"} 1.0");
    }

    private static void awaitDetail(Tier tier, String detail, LongPredicate until) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!until.test(tier.stats().details().get(detail))) {
            assertThat(System.nanoTime()).as("%s of %s: %s", detail, tier.name(), tier.stats().details().get(detail))
                    .isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void lmPortWithTokensIsAConfigError() {
        assertThatThrownBy(() -> TestServers.config(dir).assignment("lmPort=0").assignment("authTokens=t=*").load())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("lmPort: LMCache's lm:// protocol carries no credentials");
    }

    private String metrics() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.adminPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
