package io.kvstore.server.resp;

import io.kvstore.core.block.Checksums;
import io.kvstore.core.store.BlockInfo;
import io.kvstore.server.KvServer;
import io.kvstore.server.door.NamedValues;
import io.kvstore.server.testing.TestServers;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis door against clients written by others (redis-cli, redis-py doing LMCache's RedisConnector sequence,
 * Lettuce) and against raw bytes no client sends; a real daemon on loopback port 0.
 */
@Timeout(120)
class RespDoorTest {

    @TempDir
    Path dir;
    KvServer server;

    @BeforeEach
    void start() throws Exception {
        server = TestServers.start(TestServers.config(dir).assignment("respPort=0"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    // ------------------------------------------------------------------------------------------ others' clients

    @Test
    void redisCliRunsCommandsTypedIntoIt() throws Exception {
        // redis-cli reading commands from stdin, one per line, as typed at its prompt
        String out = run(List.of("redis-cli", "-p", Integer.toString(server.respPort())),
                "PING\nSET greeting hello\nGET greeting\nEXISTS greeting missing\nSTRLEN greeting\nNOSUCH 1 2\n"
                        + "DEL greeting\nGET greeting\nDBSIZE\nCOMMAND COUNT\nINFO keyspace\nQUIT\n");
        assertThat(out.lines().toList()).startsWith("PONG", "OK", "hello", "1", "5",
                "ERR unknown command 'NOSUCH', with args beginning with: '1' '2' ", "", "1", "", "0");
        assertThat(out.lines().skip(10).findFirst().orElseThrow()).matches("[1-9][0-9]"); // COMMAND COUNT
        assertThat(out).contains("# Keyspace");
        String argv = run(List.of("redis-cli", "-p", Integer.toString(server.respPort()), "SET", "k", "v", "EX", "100"),
                "");
        assertThat(argv.strip()).isEqualTo("OK");
        assertThat(run(List.of("redis-cli", "-p", Integer.toString(server.respPort()), "TTL", "k"), "").strip())
                .isEqualTo("100");
    }

    @Test
    void redisPyPassesLmCachesRedisConnectorSequence() throws Exception {
        Path script = Path.of(getClass().getResource("/lmcache_redis_sequence.py").toURI());
        String out = run(List.of("/usr/bin/python3", script.toString(), Integer.toString(server.respPort())), "");
        assertThat(out).contains("lmcache sequence ok: 3 chunks");
        // the values are blocks of the redis door's namespace: 3 kv_bytes + the 2 metadata the script did not delete
        NamedValues.Space space = new NamedValues(server.store(), server.quotas(), server.metrics())
                .space(RespSession.DOOR, "", "");
        assertThat(server.store().blocks(b -> b.meta().namespaceId() == space.id(), 100)).hasSize(5);
    }

    /** Lettuce speaks RESP3 when HELLO 3 succeeds (its default) and RESP2 when told to. */
    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void lettuceReadsWhatItWrites(ProtocolVersion protocol) {
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", server.respPort()));
        client.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
        try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
            RedisCommands<byte[], byte[]> r = c.sync();
            byte[] v = random(1 << 20, 1);
            assertThat(r.set(b("a"), v)).isEqualTo("OK");
            assertThat(r.get(b("a"))).isEqualTo(v);
            assertThat(r.exists(b("a"), b("b"))).isEqualTo(1L);
            assertThat(r.mset(java.util.Map.of(b("x"), b("1"), b("y"), b("2")))).isEqualTo("OK");
            assertThat(r.mget(b("x"), b("y"), b("z")).stream().map(kv -> kv.hasValue() ? s(kv.getValue()) : null)
                    .toList()).containsExactly("1", "2", null);
            assertThat(r.setnx(b("x"), b("3"))).isFalse();
            assertThat(r.set(b("x"), b("4"), io.lettuce.core.SetArgs.Builder.xx().px(60_000))).isEqualTo("OK");
            assertThat(r.pttl(b("x"))).isBetween(1L, 60_000L);
            assertThat(s(r.get(b("x")))).isEqualTo("4");
            assertThat(r.set(b("x"), b("1"))).isEqualTo("OK");
            assertThat(s(r.get(b("x")))).isEqualTo("1");
            assertThat(r.del(b("x"), b("y"), b("z"))).isEqualTo(2L);
            assertThat(r.dbsize()).isEqualTo(1L);
            assertThat(r.select(2)).isEqualTo("OK");
            assertThat(r.get(b("a"))).isNull(); // another database is another namespace
            assertThat(r.ping()).isEqualTo("PONG");
            assertThat(r.info("memory")).contains("used_memory:");
        } finally {
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------------------------------------ semantics

    @Test
    void pipelinedCommandsAreAnsweredInOrder() throws Exception {
        try (RawResp r = new RawResp(server.respPort())) {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < 500; i++) {
                batch.writeBytes(RawResp.command("SET", "k" + i, "v" + i));
                batch.writeBytes(RawResp.command("GET", "k" + i));
                batch.writeBytes(RawResp.command("ECHO", "e" + i));
            }
            r.send(batch.toByteArray());
            for (int i = 0; i < 500; i++) {
                assertThat(r.reply()).isEqualTo("+OK");
                assertThat(r.reply()).isEqualTo("v" + i);
                assertThat(r.reply()).isEqualTo("e" + i);
            }
        }
    }

    @Test
    void setOptionsAndExpiry() throws Exception {
        try (RawResp r = new RawResp(server.respPort())) {
            assertThat(r.send("SET", "k", "1", "XX").reply()).isEqualTo("nil");
            assertThat(r.send("SET", "k", "1", "NX").reply()).isEqualTo("+OK");
            assertThat(r.send("SET", "k", "2", "NX").reply()).isEqualTo("nil");
            assertThat(r.send("SET", "k", "3", "XX", "PX", "50").reply()).isEqualTo("+OK");
            assertThat(r.send("PTTL", "k").reply()).matches(":\\d+");
            Thread.sleep(200); // well past the deadline
            assertThat(r.send("GET", "k").reply()).isEqualTo("nil");
            assertThat(r.send("EXISTS", "k").reply()).isEqualTo(":0");
            assertThat(r.send("TTL", "k").reply()).isEqualTo(":-2");
            assertThat(r.send("SET", "p", "v").reply()).isEqualTo("+OK");
            assertThat(r.send("TTL", "p").reply()).isEqualTo(":-1");
            assertThat(r.send("EXPIRE", "p", "100").reply()).isEqualTo(":1");
            assertThat(r.send("TTL", "p").reply()).isEqualTo(":100");
            assertThat(r.send("PERSIST", "p").reply()).isEqualTo(":1");
            assertThat(r.send("TTL", "p").reply()).isEqualTo(":-1");
            assertThat(r.send("SET", "p", "v", "EX", "0").reply()).startsWith("-ERR invalid expire time");
            assertThat(r.send("SET", "p", "v", "BOGUS").reply()).isEqualTo("-ERR syntax error");
            assertThat(r.send("SET", "p").reply()).startsWith("-ERR wrong number of arguments");
            assertThat(r.send("HELLO", "4").reply()).startsWith("-NOPROTO");
            assertThat(r.send("HELLO", "x").reply()).startsWith("-ERR Protocol version");
            assertThat(r.send("HELLO", "3").reply()).startsWith("%server|redis|").contains("|proto|:3|");
            assertThat(r.send("GET", "missing").reply()).isEqualTo("null"); // RESP3's null
            assertThat(r.send("MGET", "p", "missing").reply()).isEqualTo("v|null");
            assertThat(r.send("SET", "p", "w", "NX").reply()).isEqualTo("null");
            assertThat(r.send("CONFIG", "GET", "appendonly").reply()).isEqualTo("%appendonly|no");
            assertThat(r.send("HELLO").reply()).startsWith("%"); // no version: the session's stays
            assertThat(r.send("HELLO", "2").reply()).startsWith("server|redis|").contains("proto|:2");
            assertThat(r.send("GET", "missing").reply()).isEqualTo("nil");
            assertThat(r.send("CLIENT", "SETNAME", "me").reply()).isEqualTo("+OK");
            assertThat(r.send("CLIENT", "GETNAME").reply()).isEqualTo("me");
            assertThat(r.send("FLUSHDB").reply()).isEqualTo("+OK"); // no tokens: every session is admin
            assertThat(r.send("DBSIZE").reply()).isEqualTo(":0");
            assertThat(r.send("QUIT").reply()).isEqualTo("+OK");
            assertThat(r.closedByServer()).isTrue();
        }
    }

    @Test
    void largeValuesUpToTheFrameLimit() throws Exception {
        server.close();
        server = TestServers.start(TestServers.config(dir).assignment("respPort=0").assignment("maxFrameBytes=96MiB")
                .assignment("maxInFlightBytesPerConnection=256MiB"));
        byte[] v = random(64 << 20, 7);
        try (RawResp r = new RawResp(server.respPort())) {
            ByteArrayOutputStream cmd = new ByteArrayOutputStream();
            cmd.writeBytes("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n".getBytes(StandardCharsets.US_ASCII));
            cmd.writeBytes(("$" + v.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            cmd.writeBytes(v);
            cmd.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(r.send(cmd.toByteArray()).reply()).isEqualTo("+OK");
            assertThat(r.send("STRLEN", "big").reply()).isEqualTo(":" + v.length);
        }
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", server.respPort()));
        try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
            assertThat(c.sync().get(b("big"))).isEqualTo(v);
        } finally {
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    /**
     * Values the socket reads straight into their buffer (64 KiB to 4 MiB), around that range's edges, sent in
     * uneven pieces with pauses between them (so that each value spans many reads, some of them split inside its
     * header or its closing CRLF) and each followed in the same write by the next command.
     */
    @Test
    void valuesReadInPlaceArriveWholeWhateverTheirPieces() throws Exception {
        int[] sizes = {RespCommandDecoder.READ_IN_PLACE_MIN - 1, RespCommandDecoder.READ_IN_PLACE_MIN,
                (1 << 20) + 3, 4 << 20, (4 << 20) + 1};
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            byte[] v = random(sizes[i], 100 + i);
            values.add(v);
            all.writeBytes(("*3\r\n$3\r\nSET\r\n$2\r\nv" + i + "\r\n$" + v.length + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            all.writeBytes(v);
            all.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            all.writeBytes(RawResp.command("GET", "v" + i));
        }
        byte[] bytes = all.toByteArray();
        try (RawResp r = new RawResp(server.respPort())) {
            java.util.SplittableRandom cut = new java.util.SplittableRandom(5);
            for (int off = 0; off < bytes.length; ) {
                int n = Math.min(bytes.length - off, 1 + cut.nextInt(300_000));
                r.send(java.util.Arrays.copyOfRange(bytes, off, off + n));
                off += n;
                if (cut.nextInt(4) == 0) {
                    Thread.sleep(2); // let the daemon read what is there: the next piece comes in another read
                }
            }
            for (int i = 0; i < sizes.length; i++) {
                assertThat(r.reply()).as("SET of %d bytes", sizes[i]).isEqualTo("+OK");
                assertThat(r.bulk()).as("GET of %d bytes", sizes[i]).isEqualTo(values.get(i));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ bad input

    @Test
    void unknownCommandsKeepTheConnection() throws Exception {
        try (RawResp r = new RawResp(server.respPort())) {
            assertThat(r.send("FROBNICATE", "x").reply())
                    .isEqualTo("-ERR unknown command 'FROBNICATE', with args beginning with: 'x' ");
            assertThat(r.send("KEYS", "*").reply()).startsWith("-ERR unknown command 'KEYS'");
            assertThat(r.send("PING").reply()).isEqualTo("+PONG");
            assertThat(r.send("PING\r\n".getBytes(StandardCharsets.US_ASCII)).reply()).isEqualTo("+PONG"); // inline
        }
    }

    @Test
    void garbageOversizedAndTruncatedInputLoseNothing() throws Exception {
        try (RawResp r = new RawResp(server.respPort())) {
            assertThat(r.send("SET", "kept", "value").reply()).isEqualTo("+OK");
        }
        List<byte[]> bad = List.of(
                "*2\r\n$3\r\nGET\r\n:12\r\n".getBytes(StandardCharsets.US_ASCII),        // integer as an argument
                "*1\r\n*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII),       // nested array
                "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$999999999\r\n".getBytes(StandardCharsets.US_ASCII), // over the limit
                "*99999999999\r\n".getBytes(StandardCharsets.US_ASCII),                   // argument count
                "*1\r\n$4\r\nPINGxx".getBytes(StandardCharsets.US_ASCII),                 // bad delimiter
                "*1\r\n$-7\r\n".getBytes(StandardCharsets.US_ASCII));                     // negative length
        for (byte[] b : bad) {
            try (RawResp r = new RawResp(server.respPort())) {
                String reply = r.send(b).reply();
                assertThat(reply).as(new String(b, StandardCharsets.US_ASCII)).startsWith("-ERR Protocol error: ");
                assertThat(reply).doesNotContain("\n");
                assertThat(r.closedByServer()).isTrue();
            }
        }
        // a value cut off mid-way by a client that vanishes
        try (RawResp r = new RawResp(server.respPort())) {
            r.send("*3\r\n$3\r\nSET\r\n$4\r\nkept\r\n$1000000\r\nonly-a-little".getBytes(StandardCharsets.US_ASCII));
        }
        try (RawResp r = new RawResp(server.respPort())) {
            assertThat(r.send("GET", "kept").reply()).isEqualTo("value"); // nothing stored was lost
            assertThat(r.send("DBSIZE").reply()).isEqualTo(":1");
        }
        assertThat(metrics()).contains("kvstore_protocol_errors_total{code=\"RESP_PROTOCOL_ERROR\"} 6.0");
    }

    // ------------------------------------------------------------------------------- the engine's rules apply

    @Test
    void valuesAreBlocksWithChecksumsTiersAndMetrics() throws Exception {
        server.close();
        // a DRAM tier of 8 MiB: 24 values of 1 MiB must go down to NVMe
        server = TestServers.start(TestServers.config(dir).assignment("respPort=0")
                .assignment("dramCapacityBytes=8MiB"));
        List<byte[]> values = new ArrayList<>();
        try (RawResp r = new RawResp(server.respPort())) {
            for (int i = 0; i < 24; i++) {
                byte[] v = random(1 << 20, i);
                values.add(v);
                assertThat(r.send(setCommand("v" + i, v)).reply()).isEqualTo("+OK");
            }
            for (int i = 0; i < 24; i++) {
                assertThat(r.send("GET", "v" + i).bulk()).isEqualTo(values.get(i));
            }
        }
        var tiers = server.store().blocks(b -> true, 100).stream().map(BlockInfo::tier).distinct().toList();
        assertThat(tiers).contains("nvme");
        NamedValues.Space space = new NamedValues(server.store(), server.quotas(), server.metrics())
                .space(RespSession.DOOR, "", "");
        BlockInfo b0 = server.store().info(NamedValues.key(space, NamedValues.name("v0")));
        assertThat(b0.meta().crc32c()).isEqualTo(Checksums.crc32c(ByteBuffer.wrap(values.get(0))));
        assertThat(b0.meta().namespaceId()).isEqualTo(space.id());
        String m = metrics();
        assertThat(m).contains("kvstore_requests_total{opcode=\"resp_set\",status=\"ok\"} 24.0");
        assertThat(m).contains("kvstore_requests_total{opcode=\"resp_get\",status=\"ok\"} 24.0");
        assertThat(m).containsPattern("kvstore_hits_total\\{namespace=\"" + space.namespace().idHex()
                + "\",tier=\"nvme\"}");
        assertThat(m).containsPattern("kvstore_demotions_total\\{from=\"dram\",to=\"nvme\"} [1-9]");
    }

    /**
     * A SET runs on the event loop where it needs no waiting ({@link NamedValues#tryPut}); where it would (the
     * name's old value on disk, a condition that it be present) the try changes nothing and the blocking pool's SET
     * does it all. Either way each SET is counted once.
     */
    @Test
    void aSetThatNeedsNoWaitingIsDoneWhereItArrivesAndTheOthersAreLeftWhole() throws Exception {
        server.close();
        server = TestServers.start(TestServers.config(dir).assignment("respPort=0")
                .assignment("dramCapacityBytes=8MiB"));
        NamedValues nv = new NamedValues(server.store(), server.quotas(), server.metrics());
        NamedValues.Space space = nv.space(RespSession.DOOR, "", "");
        java.util.function.Predicate<String> inMemory = "dram"::equals;
        try (RawResp r = new RawResp(server.respPort())) {
            for (int i = 0; i < 24; i++) {
                assertThat(r.send(setCommand("v" + i, random(1 << 20, i))).reply()).isEqualTo("+OK");
            }
            var onDisk = NamedValues.key(space, NamedValues.name("v0"));
            var inDram = NamedValues.key(space, NamedValues.name("v23"));
            assertThat(server.store().info(onDisk).tier()).isEqualTo("nvme");
            assertThat(server.store().info(inDram).tier()).isEqualTo("dram");
            ByteBuffer fresh = ByteBuffer.wrap(random(1 << 20, 100));

            assertThat(nv.tryPut(space, onDisk, fresh, NamedValues.Condition.ALWAYS, inMemory)).isNull();
            assertThat(r.send("GET", "v0").bulk()).isEqualTo(random(1 << 20, 0)); // left whole
            assertThat(nv.tryPut(space, onDisk, fresh, NamedValues.Condition.IF_ABSENT, inMemory))
                    .isEqualTo(NamedValues.Stored.CONDITION_NOT_MET);
            assertThat(nv.tryPut(space, inDram, fresh, NamedValues.Condition.IF_PRESENT, inMemory)).isNull();
            assertThat(r.send("GET", "v23").bulk()).isEqualTo(random(1 << 20, 23));

            assertThat(nv.tryPut(space, inDram, fresh, NamedValues.Condition.ALWAYS, inMemory))
                    .isEqualTo(NamedValues.Stored.STORED);
            assertThat(r.send("GET", "v23").bulk()).isEqualTo(random(1 << 20, 100));
            assertThat(server.store().info(inDram).meta().crc32c()).isEqualTo(Checksums.crc32c(fresh.duplicate()));

            // through the door: v0's old value is on disk (the pool's SET), v1..v22's in DRAM or on disk alike
            for (int i = 0; i < 23; i++) {
                assertThat(r.send(setCommand("v" + i, random(1 << 20, 200 + i))).reply()).isEqualTo("+OK");
            }
            for (int i = 0; i < 23; i++) {
                assertThat(r.send("GET", "v" + i).bulk()).isEqualTo(random(1 << 20, 200 + i));
            }
            assertThat(r.send("DBSIZE").reply()).isEqualTo(":24");
        }
        assertThat(metrics()).contains("kvstore_requests_total{opcode=\"resp_set\",status=\"ok\"} 47.0");
    }

    @Test
    void evictionBoundsWhatTheDoorStores() throws Exception {
        server.close();
        // the store's policy on NVMe evicts exactly down to the capacity, so the counts below are exact; the default,
        // a tier that evicts itself, holds up to a few segments more while its reclaim catches up and may still drop
        // a block while the GETs below run (its bound is NvmeEvictsItselfTest's)
        server = TestServers.start(TestServers.config(dir).assignment("respPort=0").assignment("dramCapacityBytes=0")
                .assignment("nvmeCapacityBytes=8MiB").assignment("nvmePolicy=default"));
        try (RawResp r = new RawResp(server.respPort())) {
            for (int i = 0; i < 32; i++) {
                assertThat(r.send(setCommand("e" + i, random(1 << 20, i))).reply()).isEqualTo("+OK");
            }
            long kept = Long.parseLong(r.send("DBSIZE").reply().substring(1));
            assertThat(kept).isBetween(1L, 8L); // a Redis would hold all 32 MiB in RAM
            int present = 0;
            for (int i = 0; i < 32; i++) {
                byte[] v = r.send("GET", "e" + i).bulk();
                if (v != null) {
                    present++;
                    assertThat(v).isEqualTo(random(1 << 20, i));
                }
            }
            assertThat(present).isEqualTo(kept);
        }
        assertThat(metrics()).containsPattern("kvstore_evictions_total\\{tier=\"nvme\"} ([2-9]|[1-9][0-9])");
    }

    @Test
    void damagedValuesOnDiskAreMissesNeverWrongBytes() throws Exception {
        server.close();
        server = null;
        var nvmeOnly = TestServers.config(dir).assignment("respPort=0").assignment("dramCapacityBytes=0")
                .assignment("nvmeCapacityBytes=256MiB");
        try (KvServer s = TestServers.start(nvmeOnly); RawResp r = new RawResp(s.respPort())) {
            for (int i = 0; i < 32; i++) {
                assertThat(r.send(setCommand("d" + i, random(256 << 10, i))).reply()).isEqualTo("+OK");
            }
        } // a clean close flushes the index
        Path segment;
        try (var files = Files.walk(dir.resolve("nvme"))) {
            segment = files.filter(f -> f.toString().endsWith(".seg")).max((a, b) -> Long.compare(
                    a.toFile().length(), b.toFile().length())).orElseThrow();
        }
        long len = Files.size(segment);
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            for (int k = 1; k <= 8; k++) { // one flipped byte in each eighth of the file
                long at = len * k / 10;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x5A);
            }
        }
        server = TestServers.start(nvmeOnly);
        int refused = 0;
        try (RawResp r = new RawResp(server.respPort())) {
            for (int i = 0; i < 32; i++) {
                byte[] v = r.send("GET", "d" + i).bulk();
                if (v == null) {
                    refused++;
                } else {
                    assertThat(v).as("d%d served intact", i).isEqualTo(random(256 << 10, i));
                }
            }
            assertThat(r.send("SET", "after", "ok").reply()).isEqualTo("+OK"); // the store still takes writes
        }
        assertThat(refused).as("damaged values detected").isPositive();
        assertThat(metrics()).containsPattern("kvstore_corrupt_blocks_total\\{tier=\"nvme\"} [1-9]");
    }

    @Test
    void tokensTenantsQuotasAndAdmin() throws Exception {
        server.close();
        server = TestServers.start(TestServers.config(dir).assignment("respPort=0")
                .assignment("authTokens=t-acme=acme,t-globex=globex,t-root=*")
                .assignment("tenantQuotaBytes=acme=3MiB"));
        try (RawResp acme = new RawResp(server.respPort()); RawResp globex = new RawResp(server.respPort());
             RawResp root = new RawResp(server.respPort())) {
            assertThat(acme.send("GET", "k").reply()).startsWith("-NOAUTH");
            assertThat(acme.send("AUTH", "wrong").reply()).startsWith("-WRONGPASS");
            assertThat(acme.send("AUTH", "globex", "t-acme").reply()).startsWith("-WRONGPASS"); // not its tenant
            assertThat(acme.send("AUTH", "t-acme").reply()).isEqualTo("+OK");
            assertThat(globex.send("HELLO", "2", "AUTH", "default", "t-globex").reply()).contains("proto|:2");
            assertThat(acme.send("SET", "k", "acme's").reply()).isEqualTo("+OK");
            assertThat(globex.send("SET", "k", "globex's").reply()).isEqualTo("+OK");
            assertThat(acme.send("GET", "k").reply()).isEqualTo("acme's");
            assertThat(globex.send("GET", "k").reply()).isEqualTo("globex's");
            // quota: 3 MiB for acme
            assertThat(acme.send(setCommand("a1", random(2 << 20, 1))).reply()).isEqualTo("+OK");
            assertThat(acme.send(setCommand("a2", random(2 << 20, 2))).reply()).startsWith("-OOM tenant 'acme'");
            assertThat(acme.send("EXISTS", "a1", "a2", "k").reply()).isEqualTo(":2"); // nothing stored was lost
            assertThat(acme.send("FLUSHDB").reply()).startsWith("-NOPERM");
            assertThat(root.send("AUTH", "acme", "t-root").reply()).isEqualTo("+OK"); // an admin in acme's space
            assertThat(root.send("DBSIZE").reply()).isEqualTo(":2");
            assertThat(root.send("FLUSHDB").reply()).isEqualTo("+OK");
            assertThat(acme.send("DBSIZE").reply()).isEqualTo(":0");
            assertThat(globex.send("GET", "k").reply()).isEqualTo("globex's");
            assertThat(server.quotas().usedBy("acme")).isZero();
        }
    }

    @Test
    void aTakenPortIsOneLineNamingTheSetting() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            Path other = dir.resolve("other");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestServers.start(TestServers.config(other)
                            .assignment("respPort=" + taken.getLocalPort())))
                    .isInstanceOf(io.kvstore.server.config.ConfigException.class)
                    .hasMessageStartingWith("respPort: cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .hasMessageEndingWith("choose a free port, or 0 for any");
        }
        try (RawResp r = new RawResp(server.respPort())) { // the running daemon is not disturbed
            assertThat(r.send("PING").reply()).isEqualTo("+PONG");
        }
    }

    // ---------------------------------------------------------------------------------------------------- util

    private static byte[] setCommand(String key, byte[] v) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("*3\r\n$3\r\nSET\r\n$" + key.length() + "\r\n" + key + "\r\n$" + v.length + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        b.writeBytes(v);
        b.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return b.toByteArray();
    }

    private String metrics() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.adminPort() + "/metrics")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        return r.body();
    }

    static String run(List<String> command, String stdin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        assertThat(p.exitValue()).as("%s exit code; output:%n%s", command, out).isZero();
        return out;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
