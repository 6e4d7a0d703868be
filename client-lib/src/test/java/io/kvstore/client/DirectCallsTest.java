package io.kvstore.client;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.kvstore.client.ClientServerTest.NS;
import static io.kvstore.client.ClientServerTest.payloads;
import static io.kvstore.client.ClientServerTest.tokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Blocking LOOKUPs on the pooled plain sockets ({@code directCalls}, the default) answer exactly as the event-loop
 * path does, survive a non-fatal error on the same socket, refuse a bad token the same way, and serve many threads.
 */
@Timeout(60)
class DirectCallsTest {

    @TempDir
    Path dir;

    @Test
    void directLookupsAnswerLikeTheEventLoopPath() throws Exception {
        try (KvServer server = TestServers.start(TestServers.config(dir).assignment("maxKeysPerRequest=64"));
             KvStoreClient direct = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()));
             KvStoreClient looped = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port())
                     .withDirectCalls(false))) {
            int[] t = tokens(24, 31);
            direct.putBlocks(NS, BlockPayload.chain(NS, t, payloads(16, 31)));
            List<BlockKey> keys = new PrefixHasher(NS).hash(t);
            PrefixLookup a = direct.lookup(NS, keys);
            PrefixLookup b = looped.lookup(NS, keys);
            assertThat(a.hitBlocks()).isEqualTo(16).isEqualTo(b.hitBlocks());
            assertThat(a.tiers()).isEqualTo(b.tiers());
            assertThat(direct.lookupPrefix(NS, t).hitBlocks()).isEqualTo(16);

            // more keys than one request may carry: split by the client (ClientServerTest), the same answer as the
            // event-loop path, and the pooled socket answers the next call
            List<BlockKey> tooMany = new ArrayList<>(keys);
            while (tooMany.size() <= 64) {
                tooMany.addAll(keys);
            }
            assertThat(direct.lookup(NS, tooMany).hitBlocks()).isEqualTo(16)
                    .isEqualTo(looped.lookup(NS, tooMany).hitBlocks());
            assertThat(direct.lookup(NS, keys).hitBlocks()).isEqualTo(16);

            // many threads at once: each borrows its own socket from the pool
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                fs.add(CompletableFuture.supplyAsync(() -> {
                    int sum = 0;
                    for (int k = 0; k < 50; k++) {
                        sum += direct.lookup(NS, keys).hitBlocks();
                    }
                    return sum;
                }));
            }
            for (CompletableFuture<Integer> f : fs) {
                assertThat(f.get()).isEqualTo(50 * 16);
            }
        }
    }

    @Test
    void aWrongTokenIsRefusedOnTheDirectPathToo() throws Exception {
        try (KvServer server = TestServers.start(TestServers.config(dir).assignment("authTokens=s3cret=acme"));
             KvStoreClient bad = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port())
                     .withToken("guess"))) {
            assertThatThrownBy(() -> bad.lookupPrefix(NS, tokens(2, 5))).isInstanceOf(KvStoreException.class)
                    .hasMessageContaining("AUTH_FAILED").hasMessageContaining("unknown auth token")
                    .satisfies(e -> assertThat(((KvStoreException) e).code()).isEqualTo(ErrorCode.AUTH_FAILED));
        }
    }
}
