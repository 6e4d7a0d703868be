package io.kvstore.client;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.kvstore.client.ClientServerTest.NS;
import static io.kvstore.client.ClientServerTest.payloads;
import static io.kvstore.client.ClientServerTest.tokens;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server stores the blocks of one PUT in parallel (several pool threads at once) and completes them out of
 * order; the ack still gives one code per block in frame order, and every block's bytes are the ones sent. The
 * DRAM tier is small so that most puts demote (slow, on the NVMe tier) while others only copy (fast): completions
 * come back out of order.
 */
@Timeout(120)
class PipelinedPutTest {

    @RepeatedTest(3)
    void codesComeBackInFrameOrderAndEveryBlockIsIntact(@TempDir Path dir) throws Exception {
        try (KvServer server = TestServers.start(TestServers.config(dir)
                .assignment("hbmCapacityBytes=0").assignment("dramCapacityBytes=1MiB")
                .assignment("blockingThreads=4").assignment("putBlocksInFlight=4"));
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            int n = 96;
            int[] tokens = tokens(n, 7);
            List<ByteBuffer> payloads = payloads(n, 7);
            List<BlockPayload> chain = BlockPayload.chain(NS, tokens, payloads);
            List<BlockPayload> every3rd = new ArrayList<>();
            for (int i = 0; i < n; i += 3) {
                every3rd.add(chain.get(i));
            }
            assertThat(client.putBlocks(NS, every3rd).statuses()).containsOnly(PutCode.STORED);

            PutAck ack = client.putBlocks(NS, chain);
            assertThat(ack.statuses()).hasSize(n);
            for (int i = 0; i < n; i++) {
                assertThat(ack.statuses().get(i)).as("block %d", i)
                        .isEqualTo(i % 3 == 0 ? PutCode.ALREADY_PRESENT : PutCode.STORED);
            }
            List<BlockKey> keys = chain.stream().map(BlockPayload::meta).map(BlockMeta::key).toList();
            for (int i = 0; i < n; i += 16) {
                List<ReceivedBlock> got = client.getBlocks(NS, keys.subList(i, i + 16));
                try {
                    assertThat(got).hasSize(16);
                    for (int j = 0; j < 16; j++) {
                        assertThat(got.get(j).payload()).as("block %d", i + j)
                                .isEqualTo(payloads.get(i + j).duplicate());
                    }
                } finally {
                    got.forEach(ReceivedBlock::close);
                }
            }
        }
    }
}
