package io.kvstore.client.hybrid;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.hybrid.Group;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.protocol.body.HybridLookupReply;
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

/**
 * Hybrid LOOKUP against a real server on a loopback port: attention blocks, window objects and state snapshots stored
 * as blocks. Every answer is asked twice, of the daemon (HYBRID_LOOKUP, one round trip) and through the path for
 * daemons without it (LOOKUP + EXISTS), and both must agree.
 */
@Timeout(60)
class HybridLookupTest {
    static final Namespace NS = new Namespace("test-hybrid", new KvLayout("bf16", 1, 2, 64, 16), "", "", "");
    /** A snapshot group and a 32-token window (2 blocks of 16): shorter than the 6-block prefix. */
    static final List<Group> GROUPS = List.of(Group.full(), Group.state(1000), Group.window(32));

    @TempDir
    Path dir;

    static ByteBuffer bytes(int n, int seed) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) seed);
        return ByteBuffer.wrap(b);
    }

    static int[] tokens(int blocks) {
        int[] t = new int[blocks * 16];
        for (int i = 0; i < t.length; i++) {
            t[i] = i * 7;
        }
        return t;
    }

    /** Resolves on both paths, checks that they agree, and returns the daemon's answer. */
    static HybridLookup.Resume resume(KvStoreClient client, List<BlockKey> keys) {
        HybridLookup.Resume server = new HybridLookup(client, NS, GROUPS).resume(keys);
        HybridLookup.Resume local = HybridLookup.withoutServerLookup(client, NS, GROUPS).resume(keys);
        assertThat(server).isEqualTo(local);
        return server;
    }

    /** Attention blocks 0-5, snapshots after blocks 2 and 5, window KV for every block but 4. */
    static List<BlockKey> store(KvStoreClient client) {
        int[] tokens = tokens(6);
        List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
        List<ByteBuffer> kv = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            kv.add(bytes(4096, i));
        }
        List<BlockPayload> puts = new ArrayList<>(BlockPayload.chain(NS, tokens, kv));
        puts.add(GroupKeys.object(NS, keys.get(2), 2, 1, bytes(1000, 102)));
        puts.add(GroupKeys.object(NS, keys.get(5), 5, 1, bytes(1000, 105)));
        for (int i : new int[] {0, 1, 2, 3, 5}) {
            puts.add(GroupKeys.object(NS, keys.get(i), i, 2, bytes(2048, 200 + i)));
        }
        assertThat(client.putBlocks(NS, puts).statuses()).containsOnly(PutCode.STORED);
        return keys;
    }

    @Test
    void resumesAtTheDeepestBlockWhereEveryGroupHasWhatItNeeds() throws Exception {
        try (KvServer server = TestServers.start(TestServers.config(dir));
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            assertThat(client.answersHybridLookup(NS)).isTrue();
            List<BlockKey> keys = store(client);

            // block 5 has a snapshot, but the window before it needs block 4's window KV, which is missing
            HybridLookup.Resume r = resume(client, keys);
            assertThat(r.blocks()).isEqualTo(3);
            assertThat(r.keys().get(0)).isEqualTo(keys.subList(0, 3));
            assertThat(r.keys().get(1)).containsExactly(GroupKeys.of(keys.get(2), 1));
            assertThat(r.keys().get(2)).containsExactly(GroupKeys.of(keys.get(1), 2), GroupKeys.of(keys.get(2), 2));
            // GET streams exactly the answer's objects, in its order
            List<ReceivedBlock> got = client.getBlocks(NS, r.objects());
            try {
                assertThat(got).hasSize(6);
                assertThat(got.get(3).toByteArray()).isEqualTo(bytes(1000, 102).array());
                assertThat(got.get(3).meta().parent()).isEqualTo(keys.get(2));
                assertThat(got.get(5).toByteArray()).isEqualTo(bytes(2048, 202).array());
            } finally {
                got.forEach(ReceivedBlock::close);
            }

            client.putBlocks(NS, List.of(GroupKeys.object(NS, keys.get(4), 4, 2, bytes(2048, 204))));
            r = resume(client, keys);
            assertThat(r.blocks()).isEqualTo(6);
            // the window is shorter than the prefix: only blocks 4 and 5's window KV are read
            assertThat(r.keys().get(2)).containsExactly(GroupKeys.of(keys.get(4), 2), GroupKeys.of(keys.get(5), 2));
            // ... so losing the window KV of blocks 0-1 changes nothing at block 6
            client.delete(NS, List.of(GroupKeys.of(keys.get(0), 2), GroupKeys.of(keys.get(1), 2)));
            assertThat(resume(client, keys).blocks()).isEqualTo(6);
            // but resuming at block 3 needs them: with block 5's snapshot gone, there is no resume point left
            client.delete(NS, List.of(GroupKeys.of(keys.get(5), 1)));
            assertThat(resume(client, keys).blocks()).isZero();
        }
    }

    @Test
    void aMissingSnapshotOrAttentionBlockMovesTheResumePointBack() throws Exception {
        try (KvServer server = TestServers.start(TestServers.config(dir));
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            List<BlockKey> keys = store(client);
            client.putBlocks(NS, List.of(GroupKeys.object(NS, keys.get(4), 4, 2, bytes(2048, 204))));
            // a prompt that diverges after block 3: attention blocks 0-3 are there, the deepest snapshot is at 2
            int[] other = tokens(6);
            other[4 * 16] = 99_999;
            HybridLookupReply a = client.hybridLookup(NS, GROUPS, new PrefixHasher(NS).hash(other), 0);
            assertThat(a.prefixHitBlocks()).isEqualTo(4);
            assertThat(a.resumeBlocks()).isEqualTo(3);
            assertThat(a.tiers()).hasSize(3 + 1 + 2);
            assertThat(resume(client, new PrefixHasher(NS).hash(other)).blocks()).isEqualTo(3);
            // an attention block missing in the middle: the snapshot after block 5 cannot be reached
            client.delete(NS, List.of(keys.get(4)));
            assertThat(resume(client, keys).blocks()).isEqualTo(3);
            // without a snapshot anywhere in the hit prefix there is no resume point
            assertThat(resume(client, new PrefixHasher(NS).hash(tokens(1))).blocks()).isZero();
            assertThat(resume(client, List.of()).blocks()).isZero();
        }
    }

    @Test
    void theLeaseCoversEveryObjectOfTheAnswer() throws Exception {
        try (KvServer server = TestServers.start(TestServers.config(dir));
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            List<BlockKey> keys = store(client);
            HybridLookup.Resume r = new HybridLookup(client, NS, GROUPS).resume(keys, 60_000);
            assertThat(r.blocks()).isEqualTo(3);
            for (BlockKey k : r.objects()) {
                assertThat(server.store().info(k).leased()).as(k.toString()).isTrue();
            }
            // objects outside the answer are not leased
            assertThat(server.store().info(keys.get(4)).leased()).isFalse();
            assertThat(server.store().info(GroupKeys.of(keys.get(5), 1)).leased()).isFalse();
        }
    }

    @Test
    void aTransformerNamespaceIsUnchanged() throws Exception {
        try (KvServer server = TestServers.start(TestServers.config(dir));
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            int[] tokens = tokens(4);
            List<ByteBuffer> kv = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                kv.add(bytes(4096, i));
            }
            client.putBlocks(NS, BlockPayload.chain(NS, Arrays.copyOf(tokens, 48), kv));
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            // LOOKUP answers as it always did; a hybrid lookup with attention alone answers the same prefix
            assertThat(client.lookup(NS, keys).hitBlocks()).isEqualTo(3);
            HybridLookupReply a = client.hybridLookup(NS, List.of(Group.full()), keys, 0);
            assertThat(a.resumeBlocks()).isEqualTo(3);
            assertThat(a.prefixHitBlocks()).isEqualTo(3);
            assertThat(a.tiers()).isEqualTo(client.lookup(NS, keys).tiers());
            assertThat(new HybridLookup(client, NS, List.of(Group.full())).resume(keys).objects())
                    .isEqualTo(keys.subList(0, 3));
        }
    }
}
