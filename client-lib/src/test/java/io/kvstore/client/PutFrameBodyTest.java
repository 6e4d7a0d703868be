package io.kvstore.client;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.block.Checksums;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.BlockDescriptor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A PUT frame's body must be direct memory throughout, whatever memory the caller's payload is in: Netty's epoll
 * transport copies any other buffer whole into memory allocated for that one write, which held the client's PUT
 * to 1.5 GB/s (docs/java-client.md, "PUT bandwidth"). A direct payload must be sent from where it is, not copied.
 */
@Timeout(30)
class PutFrameBodyTest {

    private static BlockPayload block(ByteBuffer payload) {
        BlockKey key = BlockKey.synthetic(1, 2);
        BlockKey parent = BlockKey.synthetic(0, 0);
        return new BlockPayload(new BlockMeta(key, parent, 0, 7, 1, payload.remaining(),
                Checksums.crc32c(payload.duplicate())), payload);
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(3).nextBytes(b);
        return b;
    }

    private static byte[] payloadOf(ByteBuf body) {
        byte[] out = new byte[body.readableBytes() - BlockDescriptor.BYTES];
        body.getBytes(body.readerIndex() + BlockDescriptor.BYTES, out);
        return out;
    }

    @Test
    void aDirectPayloadIsSentFromWhereItIs() {
        byte[] content = bytes(1 << 20);
        ByteBuffer direct = ByteBuffer.allocateDirect(content.length).put(content).flip();
        ByteBuf body = KvStoreClient.blockBody(PooledByteBufAllocator.DEFAULT, block(direct), false);
        try {
            assertTrue(body.isDirect(), "every part of the body is direct memory, so the transport writes it as it is");
            assertEquals(BlockDescriptor.BYTES + content.length, body.readableBytes());
            assertArrayEquals(content, payloadOf(body));
            direct.put(0, (byte) (content[0] + 1)); // the body reads the caller's buffer itself: no copy was made
            assertEquals((byte) (content[0] + 1), body.getByte(body.readerIndex() + BlockDescriptor.BYTES));
            assertEquals(0, direct.position(), "the caller's buffer is not consumed");
        } finally {
            body.release();
        }
    }

    @Test
    void aHeapPayloadIsCopiedIntoDirectMemory() {
        byte[] content = bytes(1 << 20);
        ByteBuffer heap = ByteBuffer.wrap(content).asReadOnlyBuffer();
        ByteBuf body = KvStoreClient.blockBody(PooledByteBufAllocator.DEFAULT, block(heap), false);
        try {
            assertTrue(body.isDirect(), "a heap payload is copied into direct memory before the transport sees it");
            assertArrayEquals(content, payloadOf(body));
            assertEquals(0, heap.position(), "the caller's buffer is not consumed");
        } finally {
            assertTrue(body.release(), "the body and its parts go back to the pool once written");
        }
    }
}
