package io.kvstore.reliability;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.KvStoreException;
import io.kvstore.client.PutAck;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.body.KeyOutcome;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;

import static io.kvstore.reliability.Fixtures.ACME;
import static io.kvstore.reliability.Fixtures.GLOBEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Security promises against a real server: per-tenant tokens, no opcode but HELLO and PING before HELLO, tenant
 * isolation (tenant B cannot look up, read, pin, evict/delete or overwrite tenant A's blocks, even with A's keys),
 * per-tenant byte quotas with a typed error, and an admin port on loopback by default.
 */
@Timeout(60)
class SecurityTest {

    static final String TOKEN_A = "token-of-acme-0123456789";
    static final String TOKEN_B = "token-of-globex-abcdef";
    static final int BLOCK = 4096;

    @TempDir
    Path dir;
    KvServer server;
    KvStoreClient a;
    KvStoreClient b;

    @BeforeEach
    void start() throws Exception {
        server = TestServers.start(TestServers.config(dir)
                .assignment("authTokens=" + TOKEN_A + "=acme," + TOKEN_B + "=globex")
                .assignment("tenantQuotaBytes=globex=" + (10 * BLOCK)));
        a = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()).withToken(TOKEN_A));
        b = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()).withToken(TOKEN_B));
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
        server.close();
    }

    @Test
    void onlyHelloAndPingAreAnsweredBeforeHello() throws IOException {
        try (Raw raw = new Raw(server.port())) {
            raw.send(Opcode.PING.code(), 0, 1, new byte[] {1, 2, 3});
            assertThat(raw.readStatus()).isEqualTo(ErrorCode.OK);
            long id = 2;
            for (Opcode op : Opcode.values()) {
                if (op == Opcode.HELLO || op == Opcode.PING) {
                    continue;
                }
                int flags = op == Opcode.PUT ? FrameDescriptor.FLAG_END : 0;
                raw.send(op.code(), flags, id++, new byte[] {0, 0, 0, 0});
                assertThat(raw.readStatus()).as(op.name()).isEqualTo(ErrorCode.NOT_AUTHENTICATED);
            }
            raw.send(Opcode.PING.code(), 0, id, new byte[0]);
            assertThat(raw.readStatus()).as("connection still usable").isEqualTo(ErrorCode.OK);
        }
        assertThat(server.store().size()).isZero();
    }

    @Test
    void unknownTokenAndForeignTenantAreRefused() {
        try (KvStoreClient wrong = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port())
                .withToken(TOKEN_A + "x"));
             KvStoreClient none = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            assertThatThrownBy(() -> wrong.connect(ACME)).isInstanceOf(KvStoreException.class)
                    .satisfies(e -> assertThat(((KvStoreException) e).code()).isEqualTo(ErrorCode.AUTH_FAILED));
            assertThatThrownBy(() -> none.connect(ACME)).isInstanceOf(KvStoreException.class)
                    .satisfies(e -> assertThat(((KvStoreException) e).code()).isEqualTo(ErrorCode.AUTH_FAILED));
        }
        // B's token on A's namespace
        assertThatThrownBy(() -> b.connect(ACME)).isInstanceOf(KvStoreException.class)
                .satisfies(e -> assertThat(((KvStoreException) e).code()).isEqualTo(ErrorCode.NAMESPACE_DENIED));
    }

    @Test
    void tenantBCannotTouchTenantABlocksEvenWithTheirKeys() {
        List<BlockPayload> blocks = Fixtures.chain(ACME, 8, BLOCK, 1);
        assertThat(a.putBlocks(ACME, blocks).allCached()).isTrue();
        List<BlockKey> keys = blocks.stream().map(p -> p.meta().key()).toList();

        // B, in its own namespace, with A's exact keys
        assertThat(b.lookup(GLOBEX, keys).hitBlocks()).as("lookup").isZero();
        assertThat(b.getBlocks(GLOBEX, keys)).as("get").isEmpty();
        assertThat(b.exists(GLOBEX, keys)).as("exists").containsOnly(KeyOutcome.NOT_FOUND);
        assertThat(b.pin(GLOBEX, keys)).as("pin").containsOnly(KeyOutcome.NOT_FOUND);
        assertThat(b.unpin(GLOBEX, keys)).as("unpin").containsOnly(KeyOutcome.NOT_FOUND);
        assertThat(b.delete(GLOBEX, keys)).as("delete").containsOnly(KeyOutcome.NOT_FOUND);
        // overwrite: B sends A's keys with its own bytes (valid checksums)
        List<BlockPayload> forged = Fixtures.chain(GLOBEX, 8, BLOCK, 99).stream()
                .map(p -> new BlockPayload(new io.kvstore.core.block.BlockMeta(keys.get(p.meta().position()),
                        p.meta().parent(), p.meta().position(), 0, p.meta().layoutId(), p.meta().length(),
                        p.meta().crc32c()), p.payload()))
                .toList();
        PutAck ack = b.putBlocks(GLOBEX, forged);
        assertThat(ack.statuses()).as("overwrite").containsOnly(PutCode.NAMESPACE_CONFLICT);

        // A still has every block, unpinned by nobody, byte-identical
        assertThat(a.lookup(ACME, keys).hitBlocks()).isEqualTo(8);
        List<ReceivedBlock> got = a.getBlocks(ACME, keys);
        try {
            assertThat(got).hasSize(8);
            for (int i = 0; i < 8; i++) {
                ReceivedBlock r = got.get(i);
                assertThat(Checksums.matches(r.meta(), r.payload())).isTrue();
                assertThat(r.payload()).isEqualTo(blocks.get(i).payload().duplicate().rewind());
            }
        } finally {
            got.forEach(ReceivedBlock::close);
        }
        assertThat(a.pin(ACME, keys)).containsOnly(KeyOutcome.PINNED);
    }

    @Test
    void putOverQuotaIsATypedErrorAndKeepsWhatWasStored() {
        List<BlockPayload> first = Fixtures.chain(GLOBEX, 8, BLOCK, 5);
        assertThat(b.putBlocks(GLOBEX, first).allCached()).isTrue();
        assertThat(server.quotas().usedBy("globex")).isEqualTo(8L * BLOCK);
        List<BlockPayload> more = Fixtures.chain(GLOBEX, 4, BLOCK, 6);
        assertThatThrownBy(() -> b.putBlocks(GLOBEX, more)).isInstanceOf(KvStoreException.class)
                .satisfies(e -> assertThat(((KvStoreException) e).code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                .hasMessageContaining("quota");
        // nothing already stored is lost; the session still works; acme has no quota
        List<BlockKey> keys = first.stream().map(p -> p.meta().key()).toList();
        assertThat(b.lookup(GLOBEX, keys).hitBlocks()).isEqualTo(8);
        assertThat(server.quotas().usedBy("globex")).isLessThanOrEqualTo(10L * BLOCK);
        assertThat(a.putBlocks(ACME, Fixtures.chain(ACME, 16, BLOCK, 7)).allCached()).isTrue();
        // deleting gives the bytes back
        assertThat(b.delete(GLOBEX, keys)).containsOnly(KeyOutcome.DELETED);
        assertThat(server.quotas().usedBy("globex")).isLessThanOrEqualTo(2L * BLOCK);
        assertThat(b.putBlocks(GLOBEX, Fixtures.chain(GLOBEX, 8, BLOCK, 8)).allCached()).isTrue();
    }

    @Test
    void adminPortIsOnLoopbackByDefault() throws Exception {
        ServerConfig defaults = ServerConfig.defaults();
        assertThat(InetAddress.getByName(defaults.adminBindAddress()).isLoopbackAddress()).isTrue();
        assertThat(InetAddress.getByName(defaults.bindAddress()).isLoopbackAddress()).isTrue();
        assertThat(server.config().adminBindAddress()).isEqualTo("127.0.0.1");
    }

    /** A raw protocol socket: frames by hand, to send what the client library never would. */
    static final class Raw implements AutoCloseable {
        final Socket s;
        final DataOutputStream out;
        final DataInputStream in;

        Raw(int port) throws IOException {
            s = new Socket("127.0.0.1", port);
            s.setSoTimeout(10_000);
            out = new DataOutputStream(s.getOutputStream());
            in = new DataInputStream(s.getInputStream());
        }

        void send(int opcode, int flags, long id, byte[] body) throws IOException {
            out.writeShort(FrameDescriptor.MAGIC);
            out.writeByte(FrameDescriptor.VERSION);
            out.writeByte(opcode);
            out.writeByte(flags);
            out.writeByte(0);
            out.writeShort(0);
            out.writeLong(id);
            out.writeInt(body.length);
            out.write(body);
            out.flush();
        }

        /** Reads one response frame and returns its status. */
        ErrorCode readStatus() throws IOException {
            byte[] h = new byte[FrameDescriptor.HEADER_BYTES];
            in.readFully(h);
            int len = ((h[16] & 0xff) << 24) | ((h[17] & 0xff) << 16) | ((h[18] & 0xff) << 8) | (h[19] & 0xff);
            in.readFully(new byte[len]);
            return ErrorCode.of(h[FrameDescriptor.STATUS_OFFSET] & 0xff);
        }

        @Override
        public void close() throws IOException {
            s.close();
        }
    }
}
