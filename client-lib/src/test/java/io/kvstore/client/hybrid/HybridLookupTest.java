package io.kvstore.client.hybrid;

import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.client.BlockPayload;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Hybrid LOOKUP against a real server: attention blocks, window objects and state snapshots stored as blocks. */
@Timeout(60)
class HybridLookupTest {
    static final Namespace NS = new Namespace("test-hybrid", new KvLayout("bf16", 1, 2, 64, 16), "", "", "");
    static final List<Group> GROUPS = List.of(Group.full(), Group.state(1000), Group.window(32));

    @TempDir
    Path dir;

    static ByteBuffer bytes(int n, int seed) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) seed);
        return ByteBuffer.wrap(b);
    }

    @Test
    void resumesAtTheDeepestBlockWhereEveryGroupHasWhatItNeeds() throws Exception {
        try (KvServer server = TestServers.start(TestServers.config(dir));
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            int[] tokens = new int[6 * 16];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = i * 7;
            }
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            List<ByteBuffer> kv = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                kv.add(bytes(4096, i));
            }
            List<BlockPayload> puts = new ArrayList<>(BlockPayload.chain(NS, tokens, kv));
            // snapshots after blocks 2 and 5; window KV (2 blocks of 16 for a 32-token window) for all but block 4
            puts.add(GroupKeys.object(NS, keys.get(2), 2, 1, bytes(1000, 102)));
            puts.add(GroupKeys.object(NS, keys.get(5), 5, 1, bytes(1000, 105)));
            for (int i : new int[] {0, 1, 2, 3, 5}) {
                puts.add(GroupKeys.object(NS, keys.get(i), i, 2, bytes(2048, 200 + i)));
            }
            assertThat(client.putBlocks(NS, puts).statuses()).containsOnly(PutCode.STORED);
            HybridLookup lookup = new HybridLookup(client, NS, GROUPS);

            // block 5 has a snapshot, but the window before it needs block 4's window KV, which is missing
            HybridLookup.Resume r = lookup.resume(keys);
            assertThat(r.blocks()).isEqualTo(3);
            assertThat(r.keys().get(0)).isEqualTo(keys.subList(0, 3));
            assertThat(r.keys().get(1)).containsExactly(GroupKeys.of(keys.get(2), 1));
            assertThat(r.keys().get(2)).containsExactly(GroupKeys.of(keys.get(1), 2), GroupKeys.of(keys.get(2), 2));
            List<ReceivedBlock> snap = client.getBlocks(NS, r.keys().get(1));
            try {
                assertThat(snap).hasSize(1);
                assertThat(snap.get(0).toByteArray()).isEqualTo(bytes(1000, 102).array());
                assertThat(snap.get(0).meta().parent()).isEqualTo(keys.get(2));
            } finally {
                snap.forEach(ReceivedBlock::close);
            }

            client.putBlocks(NS, List.of(GroupKeys.object(NS, keys.get(4), 4, 2, bytes(2048, 204))));
            assertThat(lookup.resume(keys).blocks()).isEqualTo(6);
            // a prompt that diverges after block 3: attention blocks 0-3 are there, the deepest snapshot is at 2
            int[] other = Arrays.copyOf(tokens, tokens.length);
            other[4 * 16] = 99_999;
            assertThat(lookup.resume(new PrefixHasher(NS).hash(other)).blocks()).isEqualTo(3);
            // without a snapshot anywhere in the hit prefix there is no resume point
            int[] fresh = Arrays.copyOf(tokens, 16);
            assertThat(lookup.resume(new PrefixHasher(NS).hash(fresh)).blocks()).isZero();
            assertThat(lookup.resume(List.of()).blocks()).isZero();
        }
    }
}
