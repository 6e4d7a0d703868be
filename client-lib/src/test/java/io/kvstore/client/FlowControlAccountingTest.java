package io.kvstore.client;

import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A connection's flow control counts the bytes of the requests it has queued and stops reading past
 * {@code maxInFlightBytesPerConnection}. A request gives back exactly what it counted when it arrived, even after
 * its handler has read its body: a connection that sends many requests one after another never stalls. (It used to
 * give back only the unread rest, so every LOOKUP leaked its keys' bytes from the count, and after enough requests
 * a long-lived connection stopped being read and its requests timed out.)
 */
@Timeout(120)
class FlowControlAccountingTest {

    @Test
    void manySequentialRequestsOnOneConnectionNeverStall(@TempDir Path dir) throws Exception {
        Namespace ns = new Namespace("m", new KvLayout("bf16", 1, 1, 64, 16), "", "", "");
        int[] tokens = new int[4096 * 16];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        List<BlockKey> keys = new PrefixHasher(ns).hash(tokens); // 4,096 keys: 128 KiB of body per LOOKUP
        try (KvServer server = TestServers.start(TestServers.config(dir)
                .assignment("maxInFlightBytesPerConnection=64MiB")); // the smallest allowed
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port())
                     .withDirectCalls(false).withRequestTimeout(Duration.ofSeconds(5)))) {
            for (int i = 0; i < 800; i++) { // 100 MiB of LOOKUP bodies through a 64 MiB window
                assertThat(client.lookup(ns, keys).hitBlocks()).isZero();
            }
        }
    }
}
