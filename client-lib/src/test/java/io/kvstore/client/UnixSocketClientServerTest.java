package io.kvstore.client;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every end-to-end case of {@link ClientServerTest} again with the client on the server's Unix domain socket
 * ({@code dataSocket}), plus what is particular to the socket: its file, the transports, the connection count,
 * shared memory offered to its peers.
 */
class UnixSocketClientServerTest extends ClientServerTest {

    @Override
    ConfigLoader serverConfig(Path d) {
        return TestServers.config(d).assignment("dataSocket=" + d.resolve("kv.sock"));
    }

    @Override
    ClientOptions clientOptions(KvServer s) {
        return ClientOptions.unix(s.dataSocket());
    }

    @Override
    ConfigLoader sameAddress(ConfigLoader c, KvServer s) {
        return c.assignment("dataSocket=" + s.dataSocket());
    }

    @Test
    void theSocketFileIsOwnerOnlyAndRemovedAtAStop() throws Exception {
        Path sock = dir.resolve("kv.sock");
        assertThat(server.dataSocket()).isEqualTo(sock.toAbsolutePath());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-------");
        client.close();
        server.close();
        assertThat(sock).doesNotExist();
    }

    @Test
    void tcpAndTheSocketServeTheSameStoreAndBothCountAsConnections() {
        int[] tokens = tokens(6, 21);
        List<ByteBuffer> payloads = payloads(6, 21);
        assertThat(client.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads)).statuses())
                .containsOnly(PutCode.STORED);
        KvStoreClient tcp = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()).withDirectCalls(false));
        try {
            assertThat(tcp.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(6);
            // one Netty connection over the socket (PUT) and one over TCP (LOOKUP), plus the socket's direct-call one
            assertThat(server.connections()).isGreaterThanOrEqualTo(2);
        } finally {
            int before = server.connections();
            tcp.close();
            ShmClientServerTest.waitFor(() -> server.connections() == before - 1, "the TCP connection is gone");
        }
    }

    @Test
    void theNioTransportsServeAndUseTheSocketToo() throws Exception {
        Path d = dir.resolve("nio");
        String was = System.getProperty("kvstore.client.transport");
        System.setProperty("kvstore.client.transport", "nio");
        try (KvServer nio = TestServers.start(serverConfig(d).assignment("transport=nio"));
             KvStoreClient c = KvStoreClient.create(ClientOptions.unix(nio.dataSocket()))) {
            int[] tokens = tokens(4, 22);
            List<ByteBuffer> payloads = payloads(4, 22);
            c.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
            assertThat(c.connectionForTest(NS).channel())
                    .isInstanceOf(io.netty.channel.socket.nio.NioDomainSocketChannel.class);
            assertThat(c.lookupPrefix(NS, tokens).hitBlocks()).isEqualTo(4);
            List<ReceivedBlock> got = c.getBlocks(NS, new PrefixHasher(NS).hash(tokens));
            try {
                assertThat(got).hasSize(4);
                assertThat(got.get(3).payload()).isEqualTo(payloads.get(3).duplicate());
            } finally {
                got.forEach(ReceivedBlock::close);
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(nio.dataSocket())))
                    .isEqualTo("rw-------");
        } finally {
            if (was == null) {
                System.clearProperty("kvstore.client.transport");
            } else {
                System.setProperty("kvstore.client.transport", was);
            }
        }
        assertThat(d.resolve("kv.sock")).as("removed at close").doesNotExist();
    }

    @Test
    void sharedMemoryIsOfferedOverTheSocket() throws Exception {
        Path d = dir.resolve("shm-server");
        try (KvServer s = TestServers.start(serverConfig(d).assignment("dramPersist=true")
                .assignment("dramSharedMemoryDir=" + d.resolve("shm")));
             KvStoreClient c = KvStoreClient.create(ClientOptions.unix(s.dataSocket()))) {
            int[] tokens = tokens(4, 23);
            List<ByteBuffer> payloads = payloads(4, 23);
            c.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads));
            assertThat(c.connectionForTest(NS).shm()).as("HELLO over the socket offers shared memory").isNotNull();
            long granted = s.shmLeases().counters().get("granted");
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            List<ReceivedBlock> got = c.getBlocks(NS, keys);
            try {
                assertThat(got).hasSize(4);
                assertThat(got.get(0).payload()).isEqualTo(payloads.get(0).duplicate());
                assertThat(s.shmLeases().counters().get("granted")).as("read from the mapped arena")
                        .isEqualTo(granted + 1);
            } finally {
                got.forEach(ReceivedBlock::close);
            }
            ShmClientServerTest.waitFor(() -> s.shmLeases().active() == 0, "the lease ends");
        }
    }

    @Test
    void aMissingSocketIsAConnectionErrorNamingThePath() {
        Path nowhere = dir.resolve("nobody-here.sock");
        try (KvStoreClient c = KvStoreClient.create(ClientOptions.unix(nowhere))) {
            assertThatThrownBy(() -> c.lookupPrefix(NS, tokens(1, 1)))
                    .isInstanceOf(KvStoreException.ConnectionClosed.class).hasMessageContaining("unix:" + nowhere);
            assertThatThrownBy(() -> c.connect(NS))
                    .isInstanceOf(KvStoreException.ConnectionClosed.class).hasMessageContaining("unix:" + nowhere);
        }
    }
}
