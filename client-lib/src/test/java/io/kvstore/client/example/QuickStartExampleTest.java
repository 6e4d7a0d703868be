package io.kvstore.client.example;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.BlockStream;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PrefixLookup;
import io.kvstore.client.PutAck;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
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
 * The quick start of docs/java-client.md, run against a real server: what the doc shows compiles and works.
 * Keep the two in step.
 */
@Timeout(60)
class QuickStartExampleTest {

    @TempDir
    Path dir;

    @Test
    void quickStart() throws Exception {
        try (KvServer server = TestServers.start(TestServers.config(dir))) {
            int port = server.port();
            // --- doc: begin
            // what the engine's KV cache is: model, dtype, layers, KV heads, head dim, tokens per block, tenant
            Namespace ns = new Namespace("llama-3.1-8b", new KvLayout("bf16", 32, 8, 128, 16), "team-a", "", "");
            int[] context = new int[16 * 40 + 5]; // token ids of the prompt: 40 full blocks and 5 tokens
            Arrays.setAll(context, i -> (i * 7919) % 128_000);

            try (KvStoreClient kv = KvStoreClient.create(ClientOptions.of("127.0.0.1", port))) {
                // 1. how much of this prompt is cached? (a few hash probes on the server; no data moves)
                PrefixLookup hit = kv.lookupPrefix(ns, context);

                // 2. stream the cached prefix, block by block, in order, with backpressure
                try (BlockStream blocks = kv.streamPrefix(ns, context)) {
                    while (blocks.hasNext()) {
                        try (ReceivedBlock b = blocks.next()) {
                            ByteBuffer kvBytes = b.payload(); // read-only view; copy it to the GPU here
                        }
                    }
                }

                // 3. after prefill, store the blocks that were missing (the engine's KV bytes per block)
                List<ByteBuffer> payloads = new ArrayList<>();
                for (int i = 0; i < context.length / 16; i++) {
                    payloads.add(ByteBuffer.allocate(64 << 10)); // stand-in for block i's K and V tensors
                }
                List<BlockPayload> all = BlockPayload.chain(ns, context, payloads);
                PutAck ack = kv.putBlocks(ns, all.subList(hit.hitBlocks(), all.size()));
                // --- doc: end
                assertThat(hit.hitBlocks()).isZero();
                assertThat(ack.allCached()).isTrue();
                assertThat(kv.lookupPrefix(ns, context).hitBlocks()).isEqualTo(40);
                assertThat(kv.getBlocks(ns, kv.lookupPrefix(ns, context).hitKeys())).hasSize(40)
                        .allSatisfy(ReceivedBlock::close);
            }
        }
    }
}
